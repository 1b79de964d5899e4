// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Registry of consent commitments: salted hashes of FHIR Consent resources, never identifiers.
 *
 * An operator grants and revokes commitments on the server's behalf. A patient who holds a wallet may
 * instead sign an EIP-712 grant or revocation that anyone relays; a commitment granted that way is recorded
 * under {patientCommitment} (the commitment bound to the patient's address) with the patient as its
 * controller, and from then on only that patient (by signature) or an operator may revoke it. Everything but
 * {grantBySig} names a commitment by the key it is recorded under.
 */
interface IConsentRegistry {
    /// @dev State of a commitment as seen by {status}.
    enum Status {
        None,
        Active,
        Expired
    }

    /// @dev The commitment is zero.
    error ConsentRegistryZeroCommitment();

    /// @dev `expiresAt` is not later than the current block `timestamp`.
    error ConsentRegistryInvalidExpiry(uint64 expiresAt, uint256 timestamp);

    /// @dev `commitment` is already granted and not revoked.
    error ConsentRegistryAlreadyGranted(bytes32 commitment);

    /// @dev `commitment` was never granted, or has been revoked.
    error ConsentRegistryUnknownCommitment(bytes32 commitment);

    /// @dev The signature's `deadline` has passed.
    error ConsentRegistryExpiredSignature(uint256 deadline);

    /// @dev The signature was made by `signer` (zero if it is malformed), not by `patient`.
    error ConsentRegistryInvalidSigner(address signer, address patient);

    /// @dev `patient` tried to revoke `commitment`, which is controlled by `controller` (zero: operator only).
    error ConsentRegistryUnauthorizedController(bytes32 commitment, address controller, address patient);

    /**
     * @dev Emitted when `commitment` is granted until `expiresAt`. `controller` is the patient who signed the
     * grant, or zero when an operator granted it.
     */
    event ConsentGranted(bytes32 indexed commitment, address indexed controller, uint64 expiresAt);

    /// @dev Emitted when `commitment` is revoked `by` an operator or by its controlling patient.
    event ConsentRevoked(bytes32 indexed commitment, address indexed by);

    /**
     * @dev Grants `commitment` until `expiresAt`, with no controller. Emits a {ConsentGranted} event.
     *
     * Requirements:
     *
     * - the caller must have the operator role.
     * - `commitment` must not be zero, nor currently granted.
     * - `expiresAt` must be later than the current block time (use `type(uint64).max` for no end).
     */
    function grant(bytes32 commitment, uint64 expiresAt) external;

    /**
     * @dev Revokes `commitment`, whoever controls it. Emits a {ConsentRevoked} event.
     *
     * Requirements:
     *
     * - the caller must have the operator role.
     * - `commitment` must be currently granted (expired counts as granted).
     */
    function revoke(bytes32 commitment) external;

    /**
     * @dev Grants `commitment` until `expiresAt` on `patient`'s EIP-712 signature, relayed by anyone, and
     * records it under `patientCommitment(commitment, patient)` with `patient` as its controller, so that no one
     * else's grant of the same commitment can take its place. Consumes `patient`'s nonce. Emits a
     * {ConsentGranted} event with that key.
     *
     * Requirements:
     *
     * - `deadline` must not have passed.
     * - `signature` must be `patient`'s signature of a `Grant` typed message with the current nonce.
     * - `commitment` must not be zero, and `patientCommitment(commitment, patient)` not currently granted.
     * - `expiresAt` must be later than the current block time.
     */
    function grantBySig(
        bytes32 commitment,
        uint64 expiresAt,
        address patient,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @dev Returns the key under which {grantBySig} records `patient`'s grant of `commitment`:
     * `keccak256(abi.encode(commitment, patient))`.
     */
    function patientCommitment(bytes32 commitment, address patient) external pure returns (bytes32);

    /**
     * @dev Revokes `commitment` on `patient`'s EIP-712 signature, relayed by anyone. Consumes `patient`'s
     * nonce. Emits a {ConsentRevoked} event.
     *
     * Requirements:
     *
     * - `deadline` must not have passed.
     * - `signature` must be `patient`'s signature of a `Revoke` typed message with the current nonce.
     * - `commitment` must be currently granted, with `patient` as its controller.
     */
    function revokeBySig(bytes32 commitment, address patient, uint256 deadline, bytes calldata signature) external;

    /**
     * @dev Returns the state of `commitment`: {Status.None} if it was never granted or has been revoked
     * (the `ConsentRevoked` event tells the two apart), its expiry and its controller (zero: operator only).
     */
    function status(bytes32 commitment) external view returns (Status state, uint64 expiresAt, address controller);
}

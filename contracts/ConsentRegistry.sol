// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IConsentRegistry} from "./interfaces/IConsentRegistry.sol";

/**
 * @dev Implementation of {IConsentRegistry}.
 *
 * A patient-signed grant is recorded under {patientCommitment}, a key bound to the signer: were it recorded
 * under the bare commitment, anyone who saw a pending grant could sign one for the same commitment with their
 * own key, get it mined first, and so hold the patient's consent (and the patient's own grant would revert).
 *
 * Each commitment's state is one storage slot (expiry and controller packed together), so a grant writes
 * one fresh slot and a revocation clears it, which earns the storage refund that keeps an operator
 * revocation under 30,000 gas. Keeping a "revoked" tombstone would mean a non-zero write with no refund
 * (about 31,000 gas), and nothing on chain needs it: a revoked and a never-granted commitment both mean
 * "no consent", signature replay is stopped by nonces, and the revocation itself is in the event log.
 */
contract ConsentRegistry is IConsentRegistry, AccessControl, EIP712, Nonces {
    /// @dev Role allowed to {grant} and {revoke} any commitment.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @dev EIP-712 type hash of a patient's grant.
    bytes32 public constant GRANT_TYPEHASH =
        keccak256("Grant(bytes32 commitment,uint64 expiresAt,address patient,uint256 nonce,uint256 deadline)");

    /// @dev EIP-712 type hash of a patient's revocation.
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(bytes32 commitment,address patient,uint256 nonce,uint256 deadline)");

    /// @dev A granted commitment; all zero when never granted or revoked. Fits one slot.
    struct Consent {
        uint64 expiresAt;
        address controller;
    }

    mapping(bytes32 commitment => Consent) private _consents;

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to `admin` and {OPERATOR_ROLE} to `operator`.
    constructor(address admin, address operator) EIP712("FhirLedger ConsentRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    /// @dev See {IERC165-supportsInterface}: also advertises {IConsentRegistry}.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IConsentRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IConsentRegistry
    function grant(bytes32 commitment, uint64 expiresAt) external onlyRole(OPERATOR_ROLE) {
        _grant(commitment, expiresAt, address(0));
    }

    /// @inheritdoc IConsentRegistry
    function revoke(bytes32 commitment) external onlyRole(OPERATOR_ROLE) {
        if (_consents[commitment].expiresAt == 0) revert ConsentRegistryUnknownCommitment(commitment);
        _revoke(commitment, msg.sender);
    }

    /// @inheritdoc IConsentRegistry
    function grantBySig(
        bytes32 commitment,
        uint64 expiresAt,
        address patient,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(
            abi.encode(GRANT_TYPEHASH, commitment, expiresAt, patient, _useNonce(patient), deadline)
        );
        _checkSignature(structHash, patient, deadline, signature);
        // The key of a zero commitment is not zero; the commitment itself must still be one.
        if (commitment == bytes32(0)) revert ConsentRegistryZeroCommitment();
        _grant(patientCommitment(commitment, patient), expiresAt, patient);
    }

    /// @inheritdoc IConsentRegistry
    function revokeBySig(bytes32 commitment, address patient, uint256 deadline, bytes calldata signature) external {
        bytes32 structHash = keccak256(abi.encode(REVOKE_TYPEHASH, commitment, patient, _useNonce(patient), deadline));
        _checkSignature(structHash, patient, deadline, signature);
        Consent memory consent = _consents[commitment];
        if (consent.expiresAt == 0) revert ConsentRegistryUnknownCommitment(commitment);
        if (consent.controller != patient) {
            revert ConsentRegistryUnauthorizedController(commitment, consent.controller, patient);
        }
        _revoke(commitment, patient);
    }

    /// @inheritdoc IConsentRegistry
    function patientCommitment(bytes32 commitment, address patient) public pure returns (bytes32) {
        return keccak256(abi.encode(commitment, patient));
    }

    /// @inheritdoc IConsentRegistry
    function status(bytes32 commitment) external view returns (Status state, uint64 expiresAt, address controller) {
        Consent memory consent = _consents[commitment];
        if (consent.expiresAt == 0) return (Status.None, 0, address(0));
        state = consent.expiresAt > block.timestamp ? Status.Active : Status.Expired;
        return (state, consent.expiresAt, consent.controller);
    }

    /// @dev Returns the EIP-712 domain separator used for {grantBySig} and {revokeBySig}.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @dev Records `commitment` until `expiresAt` under `controller`. Emits a {ConsentGranted} event.
    function _grant(bytes32 commitment, uint64 expiresAt, address controller) internal {
        if (commitment == bytes32(0)) revert ConsentRegistryZeroCommitment();
        if (expiresAt <= block.timestamp) revert ConsentRegistryInvalidExpiry(expiresAt, block.timestamp);
        if (_consents[commitment].expiresAt != 0) revert ConsentRegistryAlreadyGranted(commitment);
        _consents[commitment] = Consent({expiresAt: expiresAt, controller: controller});
        emit ConsentGranted(commitment, controller, expiresAt);
    }

    /// @dev Clears `commitment`, revoked `by` an operator or its controller. Emits a {ConsentRevoked} event.
    function _revoke(bytes32 commitment, address by) internal {
        delete _consents[commitment];
        emit ConsentRevoked(commitment, by);
    }

    /// @dev Reverts unless `signature` is `patient`'s signature of `structHash` and `deadline` has not passed.
    function _checkSignature(
        bytes32 structHash,
        address patient,
        uint256 deadline,
        bytes calldata signature
    ) private view {
        if (block.timestamp > deadline) revert ConsentRegistryExpiredSignature(deadline);
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(_hashTypedDataV4(structHash), signature);
        if (err != ECDSA.RecoverError.NoError || signer != patient) {
            revert ConsentRegistryInvalidSigner(signer, patient);
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Registry of the public keys (e.g. 32-byte X25519) to which institutions wrap data keys when records
 * are shared by consent. Organisations are keyed by a `bytes32` id that is a hash, never a name.
 */
interface IOrganizationRegistry {
    /// @dev A registered organisation's key and state.
    struct Organization {
        bytes publicKey;
        uint32 keyVersion;
        bool active;
    }

    /// @dev The organisation id is zero.
    error OrganizationRegistryZeroId();

    /// @dev The public key is `length` bytes long; it must be 1 to `maxLength` bytes.
    error OrganizationRegistryInvalidKeyLength(uint256 length, uint256 maxLength);

    /// @dev `orgId` is already registered (possibly deactivated: ids are never reused).
    error OrganizationRegistryAlreadyRegistered(bytes32 orgId);

    /// @dev `orgId` was never registered.
    error OrganizationRegistryUnknownOrganization(bytes32 orgId);

    /// @dev `orgId` has been deactivated.
    error OrganizationRegistryInactiveOrganization(bytes32 orgId);

    /// @dev Emitted when `orgId` is registered with `publicKey` (key version 1).
    event OrganizationRegistered(bytes32 indexed orgId, bytes publicKey);

    /// @dev Emitted when `orgId`'s public key is replaced by `publicKey`, which becomes `keyVersion`.
    event OrganizationKeyUpdated(bytes32 indexed orgId, uint32 keyVersion, bytes publicKey);

    /// @dev Emitted when `orgId` is deactivated.
    event OrganizationDeactivated(bytes32 indexed orgId);

    /// @dev Largest accepted public key, in bytes.
    function MAX_KEY_LENGTH() external view returns (uint256);

    /**
     * @dev Registers `orgId` with `publicKey` as key version 1. Emits an {OrganizationRegistered} event.
     *
     * Requirements:
     *
     * - the caller must have the registrar role.
     * - `orgId` must not be zero, nor ever registered before.
     * - `publicKey` must be 1 to {MAX_KEY_LENGTH} bytes long.
     */
    function register(bytes32 orgId, bytes calldata publicKey) external;

    /**
     * @dev Replaces `orgId`'s public key, incrementing its key version. Emits an {OrganizationKeyUpdated} event.
     *
     * Requirements:
     *
     * - the caller must have the registrar role.
     * - `orgId` must be registered and active.
     * - `publicKey` must be 1 to {MAX_KEY_LENGTH} bytes long.
     */
    function updateKey(bytes32 orgId, bytes calldata publicKey) external;

    /**
     * @dev Deactivates `orgId`, for good: its key stays readable but no one should wrap keys to it any more.
     * Emits an {OrganizationDeactivated} event.
     *
     * Requirements:
     *
     * - the caller must have the registrar role.
     * - `orgId` must be registered and active.
     */
    function deactivate(bytes32 orgId) external;

    /**
     * @dev Returns `orgId`'s public key, key version and whether it is active.
     *
     * Requirements:
     *
     * - `orgId` must be registered.
     */
    function organization(bytes32 orgId) external view returns (Organization memory);
}

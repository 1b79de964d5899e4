// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IOrganizationRegistry} from "./interfaces/IOrganizationRegistry.sol";

/// @dev Implementation of {IOrganizationRegistry}.
contract OrganizationRegistry is IOrganizationRegistry, AccessControl {
    /// @dev Role allowed to register, update and deactivate organisations.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @dev Largest accepted public key, in bytes: room for any EC or PQ KEM public key (ML-KEM-768 is 1184).
    uint256 public constant MAX_KEY_LENGTH = 2048;

    mapping(bytes32 orgId => Organization) private _organizations;

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to `admin` and {REGISTRAR_ROLE} to `registrar`.
    constructor(address admin, address registrar) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    /// @dev See {IERC165-supportsInterface}: also advertises {IOrganizationRegistry}.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IOrganizationRegistry).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IOrganizationRegistry
    function register(bytes32 orgId, bytes calldata publicKey) external onlyRole(REGISTRAR_ROLE) {
        if (orgId == bytes32(0)) revert OrganizationRegistryZeroId();
        _checkKeyLength(publicKey);
        Organization storage org = _organizations[orgId];
        // Every registered organisation has keyVersion >= 1, deactivated or not.
        if (org.keyVersion != 0) revert OrganizationRegistryAlreadyRegistered(orgId);
        org.publicKey = publicKey;
        org.keyVersion = 1;
        org.active = true;
        emit OrganizationRegistered(orgId, publicKey);
    }

    /// @inheritdoc IOrganizationRegistry
    function updateKey(bytes32 orgId, bytes calldata publicKey) external onlyRole(REGISTRAR_ROLE) {
        _checkKeyLength(publicKey);
        Organization storage org = _activeOrganization(orgId);
        uint32 keyVersion = org.keyVersion + 1;
        org.publicKey = publicKey;
        org.keyVersion = keyVersion;
        emit OrganizationKeyUpdated(orgId, keyVersion, publicKey);
    }

    /// @inheritdoc IOrganizationRegistry
    function deactivate(bytes32 orgId) external onlyRole(REGISTRAR_ROLE) {
        _activeOrganization(orgId).active = false;
        emit OrganizationDeactivated(orgId);
    }

    /// @inheritdoc IOrganizationRegistry
    function organization(bytes32 orgId) external view returns (Organization memory) {
        Organization memory org = _organizations[orgId];
        if (org.keyVersion == 0) revert OrganizationRegistryUnknownOrganization(orgId);
        return org;
    }

    /// @dev Returns `orgId`'s record, reverting unless it is registered and active.
    function _activeOrganization(bytes32 orgId) private view returns (Organization storage org) {
        org = _organizations[orgId];
        if (org.keyVersion == 0) revert OrganizationRegistryUnknownOrganization(orgId);
        if (!org.active) revert OrganizationRegistryInactiveOrganization(orgId);
    }

    /// @dev Reverts unless `publicKey` is 1 to {MAX_KEY_LENGTH} bytes long.
    function _checkKeyLength(bytes calldata publicKey) private pure {
        if (publicKey.length == 0 || publicKey.length > MAX_KEY_LENGTH) {
            revert OrganizationRegistryInvalidKeyLength(publicKey.length, MAX_KEY_LENGTH);
        }
    }
}

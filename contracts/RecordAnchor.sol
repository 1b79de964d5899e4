// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRecordAnchor} from "./interfaces/IRecordAnchor.sol";

/**
 * @dev Implementation of {IRecordAnchor}.
 *
 * Anchoring writes no storage: a fresh slot alone costs 22,100 gas and the whole transaction must stay
 * under 30,000. Integrity comes from the event log instead, where each root names its predecessor.
 */
contract RecordAnchor is IRecordAnchor, AccessControl {
    /// @dev Role allowed to call {anchor}.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to `admin` and {ANCHORER_ROLE} to `anchorer`.
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
    }

    /// @dev See {IERC165-supportsInterface}: also advertises {IRecordAnchor}.
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IRecordAnchor).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @inheritdoc IRecordAnchor
    function anchor(
        bytes32 root,
        uint64 size,
        bytes32 manifestDigest,
        bytes32 prevRoot
    ) external onlyRole(ANCHORER_ROLE) {
        if (size == 0) revert RecordAnchorEmptyBatch();
        if (root == bytes32(0)) revert RecordAnchorZeroRoot();
        emit RootAnchored(root, prevRoot, size, manifestDigest);
    }
}

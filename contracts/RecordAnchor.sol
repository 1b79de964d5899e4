// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRecordAnchor} from "./interfaces/IRecordAnchor.sol";

/**
 * @dev Implementation of {IRecordAnchor}.
 *
 * Anchoring writes no storage: a fresh slot alone costs 22,100 gas and the whole transaction must stay
 * under 30,000. Integrity comes from the event log instead, where each root names its predecessor.
 *
 * For the same reason the contract does not keep the last root to reject an anchor whose `prevRoot` is
 * not it: reading and overwriting one slot adds 5,000 gas (2,100 + 2,900), over the budget even without
 * the role check. Verifiers hold the link instead: `fhirledger verify` refuses a root that is not on the
 * single prevRoot-linked chain of this contract's events (no fork, duplicate or dangling link).
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

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @dev Anchors the roots of an append-only Merkle log of encrypted FHIR records.
 *
 * Nothing is stored per root: each anchor is one `RootAnchored` event whose `prevRoot` links it to the
 * previous one, so a verifier finds a root by its indexed topic and detects a removed or reordered batch
 * by following the chain of `prevRoot`s. Events carry only hashes and a batch size, never identifiers or CIDs.
 */
interface IRecordAnchor {
    /// @dev The batch is empty (`size` is zero).
    error RecordAnchorEmptyBatch();

    /// @dev The root is zero.
    error RecordAnchorZeroRoot();

    /**
     * @dev Emitted when `root`, the Merkle root of a batch of `size` leaves whose encrypted manifest hashes
     * to `manifestDigest`, is anchored after `prevRoot` (zero for the first batch of a log).
     */
    event RootAnchored(bytes32 indexed root, bytes32 indexed prevRoot, uint64 size, bytes32 manifestDigest);

    /**
     * @dev Anchors `root` after `prevRoot`. Emits a {RootAnchored} event.
     *
     * `prevRoot` is recorded, not checked against the last anchored root: verifiers follow the chain of
     * `prevRoot`s from the log's first batch (prevRoot zero) and refuse a root outside it.
     *
     * Requirements:
     *
     * - the caller must have the anchorer role.
     * - `root` must not be zero.
     * - `size` must not be zero.
     */
    function anchor(bytes32 root, uint64 size, bytes32 manifestDigest, bytes32 prevRoot) external;
}

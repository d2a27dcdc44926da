// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

/// @notice A write keyed by (job, round) was already recorded. Every per-round write (settlement,
/// version, epsilon spend, owner-share root) reverts with this error on a second attempt, so a
/// client that retries after an outage can tell "already done" from a real failure by the error's
/// selector alone, never by a message string.
error AlreadyRecorded(bytes32 jobKey, uint32 round);

/// @notice Two arrays that must pair up element by element have different lengths.
error LengthMismatch(uint256 left, uint256 right);

// EPSILON_SCALE: epsilon amounts on chain are uint64 fixed point with 9 decimals ("nano-epsilon"):
// 1.0 is 1e9. Clients round spends up when converting, so the chain never under-counts privacy loss.

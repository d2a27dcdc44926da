// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AlreadyRecorded, LengthMismatch} from "./LedgerErrors.sol";

/// @title Model registry
/// @notice One version per (job, round): the model store's content id, the SHA-256 of the model
/// bytes (what `aidoc model pull` checks before writing anything out), the parent version's content
/// id (empty for a fresh model), the round's metrics (JSON text) and the epsilon each dataset spent
/// in the round. A version can be revoked by the governance role, as the whitepaper's expert review
/// asks; a revoked version stays visible (history is never erased) but is no longer usable, and no
/// new version may name it as parent.
contract ModelRegistry is AccessControl {
    /// @notice Records versions. Held by the coordinator's account.
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    /// @notice Revokes versions. Held by the consortium's review board (in dev: the operator).
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");

    struct Version {
        bytes32 jobKey;
        uint32 round;
        uint64 recordedAt;
        bool revoked;
        bytes32 sha256;
        string contentId;
        string parent;
        string metrics;
        bytes32[] datasetIds;
        /// Epsilon per dataset in this round, 9 decimals (EPSILON_SCALE).
        uint64[] epsilon;
    }

    mapping(bytes32 => Version) private _versions;
    mapping(bytes32 => bytes32) private _byContent;
    bytes32[] private _versionList;

    error UnknownVersion(bytes32 versionId);
    error VersionIsRevoked(bytes32 versionId);
    error EmptyContentId();

    event VersionRecorded(
        bytes32 indexed versionId,
        bytes32 indexed jobKey,
        uint32 round,
        string contentId,
        bytes32 sha256,
        string parent
    );
    event VersionRevoked(bytes32 indexed versionId, address indexed by, string reason);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
    }

    /// @notice A version's id is keccak256(abi.encode(jobKey, round)): one per (job, round).
    function versionIdOf(bytes32 jobKey, uint32 round) public pure returns (bytes32) {
        return keccak256(abi.encode(jobKey, round));
    }

    /// @notice What the coordinator records for a round (a struct keeps the call under the
    /// EVM's stack limit).
    struct VersionInput {
        bytes32 jobKey;
        uint32 round;
        string contentId;
        bytes32 sha256;
        string parent;
        string metrics;
        bytes32[] datasetIds;
        uint64[] epsilon;
    }

    function recordVersion(VersionInput calldata input) external onlyRole(COORDINATOR_ROLE) returns (bytes32 versionId) {
        versionId = versionIdOf(input.jobKey, input.round);
        if (_versions[versionId].recordedAt != 0) revert AlreadyRecorded(input.jobKey, input.round);
        if (bytes(input.contentId).length == 0) revert EmptyContentId();
        if (input.datasetIds.length != input.epsilon.length) {
            revert LengthMismatch(input.datasetIds.length, input.epsilon.length);
        }
        if (bytes(input.parent).length != 0) {
            bytes32 parentId = _byContent[keccak256(bytes(input.parent))];
            if (parentId != bytes32(0) && _versions[parentId].revoked) revert VersionIsRevoked(parentId);
        }
        Version storage v = _versions[versionId];
        v.jobKey = input.jobKey;
        v.round = input.round;
        v.recordedAt = uint64(block.timestamp);
        v.sha256 = input.sha256;
        v.contentId = input.contentId;
        v.parent = input.parent;
        v.metrics = input.metrics;
        v.datasetIds = input.datasetIds;
        v.epsilon = input.epsilon;
        bytes32 contentKey = keccak256(bytes(input.contentId));
        if (_byContent[contentKey] == bytes32(0)) _byContent[contentKey] = versionId;
        _versionList.push(versionId);
        emit VersionRecorded(versionId, input.jobKey, input.round, input.contentId, input.sha256, input.parent);
    }

    function revokeVersion(bytes32 versionId, string calldata reason) external onlyRole(GOVERNANCE_ROLE) {
        Version storage v = _versions[versionId];
        if (v.recordedAt == 0) revert UnknownVersion(versionId);
        if (v.revoked) revert VersionIsRevoked(versionId);
        v.revoked = true;
        emit VersionRevoked(versionId, msg.sender, reason);
    }

    /// @notice Reverts unless the version exists and is not revoked; `aidoc model pull` calls this.
    function requireUsable(bytes32 versionId) external view returns (Version memory) {
        Version storage v = _versions[versionId];
        if (v.recordedAt == 0) revert UnknownVersion(versionId);
        if (v.revoked) revert VersionIsRevoked(versionId);
        return v;
    }

    function version(bytes32 versionId) external view returns (Version memory) {
        if (_versions[versionId].recordedAt == 0) revert UnknownVersion(versionId);
        return _versions[versionId];
    }

    /// @notice The first version recorded with this content id, or zero.
    function versionIdByContent(string calldata contentId) external view returns (bytes32) {
        return _byContent[keccak256(bytes(contentId))];
    }

    function versionCount() external view returns (uint256) {
        return _versionList.length;
    }

    function versionAt(uint256 index) external view returns (bytes32) {
        return _versionList[index];
    }
}

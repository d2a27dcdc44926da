// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {WorkerRegistry} from "./WorkerRegistry.sol";
import {AlreadyRecorded, LengthMismatch} from "./LedgerErrors.sol";

/// @title Privacy ledger
/// @notice Epsilon spent per dataset over its lifetime, against the cap its hospital set in the
/// WorkerRegistry. A round's spends are recorded in one transaction, all or nothing, once per
/// (job, round); a spend that would take any dataset past its cap reverts the whole round's record.
/// Amounts are fixed point with 9 decimals (EPSILON_SCALE); clients round up.
///
/// Summing epsilons is basic composition, an upper bound on the true privacy loss. The
/// coordinator's accountant may compute a tighter total; the chain keeps the conservative one.
contract PrivacyLedger is AccessControl {
    /// @notice Records spends. Held by the coordinator's account.
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");

    WorkerRegistry public immutable registry;

    mapping(bytes32 => uint64) private _spent;
    mapping(bytes32 => bool) private _recorded;

    error BudgetExceeded(bytes32 datasetId, uint64 spent, uint64 requested, uint64 cap);

    event EpsilonSpent(
        bytes32 indexed datasetId,
        bytes32 indexed jobKey,
        uint32 round,
        uint64 epsilon,
        uint64 totalSpent
    );

    constructor(address admin, WorkerRegistry registry_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        registry = registry_;
    }

    function spendRound(
        bytes32 jobKey,
        uint32 round,
        bytes32[] calldata datasetIds,
        uint64[] calldata epsilon
    ) external onlyRole(COORDINATOR_ROLE) {
        bytes32 roundKey = keccak256(abi.encode(jobKey, round));
        if (_recorded[roundKey]) revert AlreadyRecorded(jobKey, round);
        if (datasetIds.length != epsilon.length) revert LengthMismatch(datasetIds.length, epsilon.length);
        _recorded[roundKey] = true;
        for (uint256 i = 0; i < datasetIds.length; i++) {
            bytes32 id = datasetIds[i];
            uint64 cap = registry.epsilonCapOf(id);
            uint64 spent = _spent[id];
            if (uint256(spent) + epsilon[i] > cap) revert BudgetExceeded(id, spent, epsilon[i], cap);
            spent += epsilon[i];
            _spent[id] = spent;
            emit EpsilonSpent(id, jobKey, round, epsilon[i], spent);
        }
    }

    function isRecorded(bytes32 jobKey, uint32 round) external view returns (bool) {
        return _recorded[keccak256(abi.encode(jobKey, round))];
    }

    function spentOf(bytes32 datasetId) external view returns (uint64) {
        return _spent[datasetId];
    }

    /// @notice What the dataset may still spend (zero if its cap was lowered below what is spent).
    function remainingOf(bytes32 datasetId) external view returns (uint64) {
        uint64 cap = registry.epsilonCapOf(datasetId);
        uint64 spent = _spent[datasetId];
        return cap > spent ? cap - spent : 0;
    }
}

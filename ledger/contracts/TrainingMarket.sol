// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {WorkerRegistry} from "./WorkerRegistry.sol";
import {AlreadyRecorded, LengthMismatch} from "./LedgerErrors.sol";

/// @title Training market: job escrow and per-round rebates
/// @notice A vendor escrows a job's budget in AIDOC. Each settled round pays the job's fee per round
/// out as rebates to that round's participating hospital workers, in proportion to the records each
/// contributed. When the job finishes or is cancelled, whatever is still held goes back to the
/// vendor.
///
/// Invariant, for every job at every moment: escrowed == paidOut + refunded + held. Every function
/// that moves a job's tokens changes exactly one of the right-hand terms by the amount that `held`
/// changes, and the contract's token balance is the sum of `held` over all jobs. A settled round
/// pays out exactly its fee: the few base units integer division leaves over go to the round's
/// largest contributor.
contract TrainingMarket is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice Settles rounds and finishes jobs. Held by the coordinator's account.
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");

    enum Status {
        None,
        Open,
        Finished,
        Cancelled
    }

    struct Job {
        address vendor;
        Status status;
        uint32 rounds;
        uint32 settledRounds;
        uint256 feePerRound;
        uint256 escrowed;
        uint256 paidOut;
        uint256 refunded;
        uint256 held;
    }

    IERC20 public immutable token;
    WorkerRegistry public immutable registry;

    mapping(bytes32 => Job) private _jobs;
    mapping(bytes32 => bool) private _settled;
    bytes32[] private _jobList;

    error JobExists(bytes32 jobKey);
    error UnknownJob(bytes32 jobKey);
    error JobNotOpen(bytes32 jobKey, Status status);
    error InvalidJobTerms(uint256 feePerRound, uint32 rounds);
    error InsufficientBudget(uint256 budget, uint256 required);
    error InsufficientEscrow(bytes32 jobKey, uint256 held, uint256 fee);
    error NotVendorOrCoordinator(address caller);
    error NotVendor(address caller);
    error EmptySettlement();
    error WorkersNotSorted(uint256 index);
    error InactiveWorker(address worker);
    error NoRecords();

    event JobOpened(
        bytes32 indexed jobKey,
        string jobId,
        address indexed vendor,
        uint256 budget,
        uint256 feePerRound,
        uint32 rounds
    );
    event JobFunded(bytes32 indexed jobKey, uint256 amount);
    event RoundSettled(bytes32 indexed jobKey, uint32 round, uint256 paid, uint256 workers, uint256 totalRecords);
    event Rebate(bytes32 indexed jobKey, uint32 round, address indexed worker, uint64 records, uint256 amount);
    event JobClosed(bytes32 indexed jobKey, Status status, uint256 refund);

    constructor(address admin, IERC20 token_, WorkerRegistry registry_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        token = token_;
        registry = registry_;
    }

    /// @notice The key of a job on chain: keccak256 of its UTF-8 id.
    function jobKeyOf(string calldata jobId) public pure returns (bytes32) {
        return keccak256(bytes(jobId));
    }

    /// @notice Escrows `budget` from `vendor` (who must have approved this contract). Called by the
    /// vendor, or by the coordinator at job submission on the vendor's behalf: the allowance the
    /// vendor gave is its consent to the spend. The budget must cover every planned round.
    function openJob(
        string calldata jobId,
        address vendor,
        uint256 budget,
        uint256 feePerRound,
        uint32 rounds
    ) external returns (bytes32 jobKey) {
        if (msg.sender != vendor && !hasRole(COORDINATOR_ROLE, msg.sender)) revert NotVendorOrCoordinator(msg.sender);
        jobKey = jobKeyOf(jobId);
        if (_jobs[jobKey].status != Status.None) revert JobExists(jobKey);
        if (rounds == 0 || feePerRound == 0) revert InvalidJobTerms(feePerRound, rounds);
        uint256 required = feePerRound * rounds;
        if (budget < required) revert InsufficientBudget(budget, required);
        _jobs[jobKey] = Job(vendor, Status.Open, rounds, 0, feePerRound, budget, 0, 0, budget);
        _jobList.push(jobKey);
        emit JobOpened(jobKey, jobId, vendor, budget, feePerRound, rounds);
        token.safeTransferFrom(vendor, address(this), budget);
    }

    /// @notice The vendor adds to an open job's escrow (for example to run more rounds).
    function topUp(bytes32 jobKey, uint256 amount) external {
        Job storage j = _open(jobKey);
        if (msg.sender != j.vendor) revert NotVendor(msg.sender);
        j.escrowed += amount;
        j.held += amount;
        emit JobFunded(jobKey, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Pays round `round`'s fee to its participating workers pro rata by `records`.
    /// `workers` must be strictly ascending (so each appears once, checked in O(n)) and active.
    /// A second settlement of the same (job, round) reverts with AlreadyRecorded.
    function settleRound(
        bytes32 jobKey,
        uint32 round,
        address[] calldata workers,
        uint64[] calldata records
    ) external onlyRole(COORDINATOR_ROLE) {
        Job storage j = _open(jobKey);
        bytes32 roundKey = keccak256(abi.encode(jobKey, round));
        if (_settled[roundKey]) revert AlreadyRecorded(jobKey, round);
        uint256 total = _totalRecords(workers, records);
        uint256 fee = j.feePerRound;
        if (j.held < fee) revert InsufficientEscrow(jobKey, j.held, fee);
        // Effects before interactions. Integer division leaves at most (workers - 1) base units of
        // the fee unassigned; they go to the largest contributor (the first one on a tie), so a
        // settled round pays exactly its fee.
        uint256 assigned = 0;
        uint256 top = 0;
        for (uint256 i = 0; i < workers.length; i++) {
            assigned += (fee * records[i]) / total;
            if (records[i] > records[top]) top = i;
        }
        _settled[roundKey] = true;
        j.settledRounds += 1;
        j.held -= fee;
        j.paidOut += fee;
        emit RoundSettled(jobKey, round, fee, workers.length, total);
        _payRebates(jobKey, round, [fee, total, top, fee - assigned], workers, records);
    }

    function _totalRecords(address[] calldata workers, uint64[] calldata records) private view returns (uint256 total) {
        uint256 n = workers.length;
        if (n == 0) revert EmptySettlement();
        if (n != records.length) revert LengthMismatch(n, records.length);
        for (uint256 i = 0; i < n; i++) {
            if (i > 0 && workers[i] <= workers[i - 1]) revert WorkersNotSorted(i);
            if (!registry.isActiveWorker(workers[i])) revert InactiveWorker(workers[i]);
            total += records[i];
        }
        if (total == 0) revert NoRecords();
    }

    /// @param p [fee, totalRecords, index of the largest contributor, unassigned remainder]
    /// (one array keeps the call under the EVM's stack limit).
    function _payRebates(
        bytes32 jobKey,
        uint32 round,
        uint256[4] memory p,
        address[] calldata workers,
        uint64[] calldata records
    ) private {
        for (uint256 i = 0; i < workers.length; i++) {
            uint256 amount = (p[0] * records[i]) / p[1];
            if (i == p[2]) amount += p[3];
            emit Rebate(jobKey, round, workers[i], records[i], amount);
            if (amount > 0) token.safeTransfer(workers[i], amount);
        }
    }

    /// @notice The coordinator closes a job after its last round; the unused budget is refunded.
    function finishJob(bytes32 jobKey) external onlyRole(COORDINATOR_ROLE) {
        _close(jobKey, Status.Finished);
    }

    /// @notice The vendor (or the coordinator) cancels a job; the unused budget is refunded.
    /// Rounds already settled stay paid.
    function cancelJob(bytes32 jobKey) external {
        Job storage j = _open(jobKey);
        if (msg.sender != j.vendor && !hasRole(COORDINATOR_ROLE, msg.sender)) revert NotVendorOrCoordinator(msg.sender);
        _close(jobKey, Status.Cancelled);
    }

    function _close(bytes32 jobKey, Status status) private {
        Job storage j = _open(jobKey);
        uint256 refund = j.held;
        j.held = 0;
        j.refunded += refund;
        j.status = status;
        emit JobClosed(jobKey, status, refund);
        if (refund > 0) token.safeTransfer(j.vendor, refund);
    }

    function _open(bytes32 jobKey) private view returns (Job storage j) {
        j = _jobs[jobKey];
        if (j.status == Status.None) revert UnknownJob(jobKey);
        if (j.status != Status.Open) revert JobNotOpen(jobKey, j.status);
    }

    function job(bytes32 jobKey) external view returns (Job memory) {
        if (_jobs[jobKey].status == Status.None) revert UnknownJob(jobKey);
        return _jobs[jobKey];
    }

    function isSettled(bytes32 jobKey, uint32 round) external view returns (bool) {
        return _settled[keccak256(abi.encode(jobKey, round))];
    }

    function jobCount() external view returns (uint256) {
        return _jobList.length;
    }

    function jobAt(uint256 index) external view returns (bytes32) {
        return _jobList[index];
    }
}

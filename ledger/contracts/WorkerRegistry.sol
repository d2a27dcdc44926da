// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title Worker registry
/// @notice Which hospital workers exist (address and TLS certificate fingerprint) and which datasets
/// each holds (schema, record count, epsilon cap). Operator-managed: the consortium operator admits
/// workers and datasets. A hospital may change its own dataset's record count and epsilon cap,
/// since the cap is the hospital's decision about its patients' privacy budget.
contract WorkerRegistry is AccessControl {
    /// @notice Admits and deactivates workers, registers datasets. Held by the consortium operator.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    struct Worker {
        /// SHA-256 of the worker's DER-encoded TLS client certificate.
        bytes32 certFingerprint;
        string name;
        bool active;
        bool exists;
    }

    struct Dataset {
        address worker;
        bytes32 schemaId;
        uint64 records;
        /// Total epsilon this dataset may spend over its lifetime, 9 decimals (see EPSILON_SCALE).
        uint64 epsilonCap;
        bool exists;
    }

    mapping(address => Worker) private _workers;
    mapping(bytes32 => Dataset) private _datasets;
    address[] private _workerList;
    bytes32[] private _datasetList;

    error WorkerExists(address worker);
    error UnknownWorker(address worker);
    error DatasetExists(bytes32 datasetId);
    error UnknownDataset(bytes32 datasetId);
    error NotDatasetController(bytes32 datasetId, address caller);

    event WorkerRegistered(address indexed worker, bytes32 certFingerprint, string name);
    event WorkerActiveChanged(address indexed worker, bool active);
    event DatasetRegistered(
        bytes32 indexed datasetId,
        string datasetName,
        address indexed worker,
        bytes32 schemaId,
        uint64 records,
        uint64 epsilonCap
    );
    event DatasetUpdated(bytes32 indexed datasetId, uint64 records, uint64 epsilonCap);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, admin);
    }

    function registerWorker(
        address worker,
        bytes32 certFingerprint,
        string calldata name
    ) external onlyRole(OPERATOR_ROLE) {
        if (_workers[worker].exists) revert WorkerExists(worker);
        _workers[worker] = Worker(certFingerprint, name, true, true);
        _workerList.push(worker);
        emit WorkerRegistered(worker, certFingerprint, name);
    }

    /// @notice Deactivating a worker (a compromised key, a hospital leaving) stops it receiving
    /// settlements; its history stays.
    function setWorkerActive(address worker, bool active) external onlyRole(OPERATOR_ROLE) {
        if (!_workers[worker].exists) revert UnknownWorker(worker);
        _workers[worker].active = active;
        emit WorkerActiveChanged(worker, active);
    }

    /// @notice A dataset is keyed on chain by keccak256 of its UTF-8 id; the id itself is in the event.
    function datasetKeyOf(string calldata datasetName) public pure returns (bytes32) {
        return keccak256(bytes(datasetName));
    }

    function registerDataset(
        string calldata datasetName,
        address worker,
        bytes32 schemaId,
        uint64 records,
        uint64 epsilonCap
    ) external onlyRole(OPERATOR_ROLE) returns (bytes32 datasetId) {
        datasetId = datasetKeyOf(datasetName);
        if (!_workers[worker].exists) revert UnknownWorker(worker);
        if (_datasets[datasetId].exists) revert DatasetExists(datasetId);
        _datasets[datasetId] = Dataset(worker, schemaId, records, epsilonCap, true);
        _datasetList.push(datasetId);
        emit DatasetRegistered(datasetId, datasetName, worker, schemaId, records, epsilonCap);
    }

    /// @notice The operator or the hospital worker that holds the dataset may update it. Lowering
    /// the cap below what is already spent leaves nothing to spend; it never un-spends.
    function updateDataset(bytes32 datasetId, uint64 records, uint64 epsilonCap) external {
        Dataset storage d = _datasets[datasetId];
        if (!d.exists) revert UnknownDataset(datasetId);
        if (msg.sender != d.worker && !hasRole(OPERATOR_ROLE, msg.sender)) {
            revert NotDatasetController(datasetId, msg.sender);
        }
        d.records = records;
        d.epsilonCap = epsilonCap;
        emit DatasetUpdated(datasetId, records, epsilonCap);
    }

    function isActiveWorker(address worker) external view returns (bool) {
        return _workers[worker].active;
    }

    function workerInfo(address worker) external view returns (Worker memory) {
        if (!_workers[worker].exists) revert UnknownWorker(worker);
        return _workers[worker];
    }

    function dataset(bytes32 datasetId) external view returns (Dataset memory) {
        if (!_datasets[datasetId].exists) revert UnknownDataset(datasetId);
        return _datasets[datasetId];
    }

    function epsilonCapOf(bytes32 datasetId) external view returns (uint64) {
        if (!_datasets[datasetId].exists) revert UnknownDataset(datasetId);
        return _datasets[datasetId].epsilonCap;
    }

    function workerCount() external view returns (uint256) {
        return _workerList.length;
    }

    function workerAt(uint256 index) external view returns (address) {
        return _workerList[index];
    }

    function datasetCount() external view returns (uint256) {
        return _datasetList.length;
    }

    function datasetAt(uint256 index) external view returns (bytes32) {
        return _datasetList[index];
    }
}

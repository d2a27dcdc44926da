// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {WorkerRegistry} from "./WorkerRegistry.sol";
import {AlreadyRecorded} from "./LedgerErrors.sol";

/// @title Owner rebate claims
/// @notice A hospital passes its data owners' share of a round's rebate on without telling the chain
/// who they are. For (job, round) the hospital's worker deposits `total` tokens with the Merkle root
/// of its owners' shares; each owner claims their own share with a proof the hospital gave them.
///
/// Privacy argument. The chain sees per (job, round, hospital) only a root and a total; the hospital
/// already appears in that round's settlement, so nothing new about participation is public. The
/// leaves are never published, and each leaf hashes a 32-byte secret salt the hospital gives only
/// to that owner, so the sibling hashes in a proof reveal nothing about other owners (they cannot
/// be brute-forced from candidate addresses and amounts). Trees are padded to a power of two of at
/// least 16 leaves with unclaimable random leaves, so the proof length reveals only a coarse bucket
/// of the number of owners. An owner who claims reveals their payout address and amount for that
/// (job, round, hospital), and nothing more: that is the owner's choice. An owner who wants rounds
/// unlinkable gives the hospital a fresh payout address per round.
///
/// Leaf: keccak256(bytes.concat(keccak256(abi.encode(hospital, jobKey, round, account, amount, salt))))
/// (double hashing, as OpenZeppelin recommends, so a leaf can never be read as an inner node).
/// Inner nodes: OpenZeppelin MerkleProof's sorted-pair keccak256.
contract RebateClaims {
    using SafeERC20 for IERC20;

    struct Pool {
        bytes32 root;
        uint256 total;
        uint256 remaining;
    }

    IERC20 public immutable token;
    WorkerRegistry public immutable registry;

    mapping(bytes32 => Pool) private _pools;
    mapping(bytes32 => bool) private _claimed;

    error InactiveWorker(address worker);
    error UnknownPool(address hospital, bytes32 jobKey, uint32 round);
    error InvalidProof();
    error AlreadyClaimed(bytes32 leaf);
    error PoolExhausted(uint256 remaining, uint256 amount);
    error EmptyRoot();

    event OwnerSharesPosted(address indexed hospital, bytes32 indexed jobKey, uint32 round, bytes32 root, uint256 total);
    event Claimed(address indexed hospital, bytes32 indexed jobKey, uint32 round, address indexed account, uint256 amount);

    constructor(IERC20 token_, WorkerRegistry registry_) {
        token = token_;
        registry = registry_;
    }

    function poolKeyOf(address hospital, bytes32 jobKey, uint32 round) public pure returns (bytes32) {
        return keccak256(abi.encode(hospital, jobKey, round));
    }

    function leafOf(
        address hospital,
        bytes32 jobKey,
        uint32 round,
        address account,
        uint256 amount,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(hospital, jobKey, round, account, amount, salt))));
    }

    /// @notice The calling hospital worker deposits `total` (it must have approved this contract)
    /// and the root of its owners' shares for (job, round). Once per (hospital, job, round).
    function postOwnerShares(bytes32 jobKey, uint32 round, bytes32 root, uint256 total) external {
        if (!registry.isActiveWorker(msg.sender)) revert InactiveWorker(msg.sender);
        if (root == bytes32(0)) revert EmptyRoot();
        bytes32 key = poolKeyOf(msg.sender, jobKey, round);
        if (_pools[key].root != bytes32(0)) revert AlreadyRecorded(jobKey, round);
        _pools[key] = Pool(root, total, total);
        emit OwnerSharesPosted(msg.sender, jobKey, round, root, total);
        token.safeTransferFrom(msg.sender, address(this), total);
    }

    /// @notice Pays `amount` to `account` if the proof shows the leaf is in the pool's tree. Anyone
    /// may submit a claim (a relayer can pay the gas); the tokens go only to `account`.
    function claim(
        address hospital,
        bytes32 jobKey,
        uint32 round,
        address account,
        uint256 amount,
        bytes32 salt,
        bytes32[] calldata proof
    ) external {
        bytes32 key = poolKeyOf(hospital, jobKey, round);
        Pool storage p = _pools[key];
        if (p.root == bytes32(0)) revert UnknownPool(hospital, jobKey, round);
        bytes32 leaf = leafOf(hospital, jobKey, round, account, amount, salt);
        if (_claimed[leaf]) revert AlreadyClaimed(leaf);
        if (!MerkleProof.verifyCalldata(proof, p.root, leaf)) revert InvalidProof();
        if (p.remaining < amount) revert PoolExhausted(p.remaining, amount);
        _claimed[leaf] = true;
        p.remaining -= amount;
        emit Claimed(hospital, jobKey, round, account, amount);
        token.safeTransfer(account, amount);
    }

    function pool(address hospital, bytes32 jobKey, uint32 round) external view returns (Pool memory) {
        return _pools[poolKeyOf(hospital, jobKey, round)];
    }

    function isClaimed(bytes32 leaf) external view returns (bool) {
        return _claimed[leaf];
    }
}

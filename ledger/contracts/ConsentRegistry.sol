// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

/// @title Consent registry
/// @notice A data owner (patient) grants or revokes a purpose for their records. Only the owner's
/// own address can change its consent: there is no admin role here, on purpose. Every change is
/// kept in an append-only history, so "was consent in force when round R ran" can be audited.
/// A purpose is a short string such as "breast-cancer-research"; it is stored by its keccak256.
///
/// Privacy: the chain learns that a pseudonymous address consented to a purpose, nothing about
/// its records. Workers read consent at round time and filter records locally.
contract ConsentRegistry {
    struct ConsentChange {
        bytes32 purpose;
        bool granted;
        uint64 at;
    }

    mapping(address => mapping(bytes32 => bool)) private _granted;
    mapping(address => ConsentChange[]) private _history;

    event ConsentChanged(address indexed owner, bytes32 indexed purpose, bool granted, string purposeName);

    function grant(string calldata purpose) external {
        _set(purpose, true);
    }

    function revoke(string calldata purpose) external {
        _set(purpose, false);
    }

    function _set(string calldata purpose, bool granted) private {
        bytes32 key = keccak256(bytes(purpose));
        _granted[msg.sender][key] = granted;
        _history[msg.sender].push(ConsentChange(key, granted, uint64(block.timestamp)));
        emit ConsentChanged(msg.sender, key, granted, purpose);
    }

    function isGranted(address owner, bytes32 purpose) external view returns (bool) {
        return _granted[owner][purpose];
    }

    /// @notice One call for a worker's whole owner list at round time.
    function grantedMany(address[] calldata owners, bytes32 purpose) external view returns (bool[] memory out) {
        out = new bool[](owners.length);
        for (uint256 i = 0; i < owners.length; i++) out[i] = _granted[owners[i]][purpose];
    }

    function historyLength(address owner) external view returns (uint256) {
        return _history[owner].length;
    }

    function history(address owner, uint256 offset, uint256 limit) external view returns (ConsentChange[] memory out) {
        ConsentChange[] storage h = _history[owner];
        uint256 end = offset + limit > h.length ? h.length : offset + limit;
        uint256 n = end > offset ? end - offset : 0;
        out = new ConsentChange[](n);
        for (uint256 i = 0; i < n; i++) out[i] = h[offset + i];
    }
}

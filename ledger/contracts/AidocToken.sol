// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.26;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title AIDOC token
/// @notice The ERC-20 in which vendors pay for training and hospitals and data owners receive
/// rebates. 18 decimals. New tokens come only from MINTER_ROLE (the consortium operator); there
/// is no burn other than ordinary transfers.
contract AidocToken is ERC20, AccessControl {
    /// @notice May mint new tokens. Held by the consortium operator.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor(address admin) ERC20("AIDOC", "AIDOC") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}

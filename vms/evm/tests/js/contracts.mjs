// Solidity sources compiled with solc-js inside the tests.
import solc from 'solc';

export const SOURCE = `
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

contract Token {
    string public name = "Test Token";
    string public symbol = "TST";
    uint8 public decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint256 supply) {
        totalSupply = supply;
        balanceOf[msg.sender] = supply;
        emit Transfer(address(0), msg.sender, supply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        require(balanceOf[msg.sender] >= value, "insufficient balance");
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        require(allowance[from][msg.sender] >= value, "insufficient allowance");
        require(balanceOf[from] >= value, "insufficient balance");
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }
}

contract Events {
    event Ping(address indexed from, uint256 indexed n, string note);
    uint256 public count;

    function ping(string calldata note) external {
        count += 1;
        emit Ping(msg.sender, count, note);
    }

    function check(uint256 x) external pure returns (uint256) {
        require(x > 10, "x too small");
        return x * 2;
    }

    function boom() external {
        count += 100;
        revert("always reverts");
    }
}
`;

let cache;

/** Compiles SOURCE; returns { Token: {abi, bytecode}, Events: {abi, bytecode} }. */
export function compile() {
  if (cache) return cache;
  const input = {
    language: 'Solidity',
    sources: { 'C.sol': { content: SOURCE } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const c = out.contracts['C.sol'];
  cache = Object.fromEntries(
    Object.entries(c).map(([name, v]) => [name, { abi: v.abi, bytecode: '0x' + v.evm.bytecode.object }]),
  );
  return cache;
}

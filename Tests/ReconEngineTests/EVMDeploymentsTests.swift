import ReconChain
import ReconEngine
import Testing

@Suite("rules: evm.deployments")
struct EVMDeploymentsTests {
    static let header = "version: 1\nname: t\nkey: { db: [chain_id, stream_id], chain: id }\ndb: { table: streams }\n"
    static let field = "fields:\n  a: { type: amount, chain: getA(uint256) returns (uint128) }\n"
    static let mainnet = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    static let base = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"

    func lint(_ yaml: String) -> [String] {
        RulesCompiler().compile(yaml: yaml, file: "rules.yaml").diagnostics.map(\.description)
    }

    @Test func twoDeploymentsCompileWithTheirOwnFinalityAndACompositeKey() throws {
        let yaml = Self.header + """
            evm:
              confirmations: 12
              id_prefix: s
              deployments:
                - { name: mainnet, chain_id: 1, contract: "\(Self.mainnet)", rpc: MAINNET_RPC_URL }
                - { name: base, chain_id: 8453, contract: "\(Self.base)", rpc: BASE_RPC_URL, confirmations: finalized }
            """ + "\n" + Self.field
        let result = RulesCompiler().compile(yaml: yaml, file: "rules.yaml")
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let ruleSet = try #require(result.ruleSet)
        let evm = try #require(ruleSet.evm)
        #expect(ruleSet.keyColumns == ["chain_id", "stream_id"])
        #expect(evm.deployments.map(\.name) == ["mainnet", "base"])
        #expect(evm.deployments.map(\.chainId) == [1, 8453])
        #expect(evm.deployments.map(\.rpcVariable) == ["MAINNET_RPC_URL", "BASE_RPC_URL"])
        #expect(evm.deployments.map(\.finality) == [.depth(12), .finalized])
        let base = evm.binding(for: evm.deployments[1])
        #expect(base.contract.checksummed == Self.base && base.finality == .finalized && base.idPrefix == "s" && base.deployments.isEmpty)
    }

    @Test func contractAndDeploymentsExcludeEachOther() {
        let yaml = Self.header + """
            evm:
              contract: "\(Self.mainnet)"
              confirmations: 2
              deployments:
                - { name: mainnet, chain_id: 1, contract: "\(Self.mainnet)", rpc: MAINNET_RPC_URL }
            """ + "\n" + Self.field
        #expect(lint(yaml) == [
            "rules.yaml:6:3: error[invalid-value]: 'contract' and 'deployments' of 'evm' exclude each other: give one contract, "
                + "or list each chain in 'deployments' with its own 'contract'",
        ])
    }

    @Test func badDeploymentsAreReportedEachAtItsPlace() {
        let yaml = Self.header + """
            evm:
              deployments:
                - { name: a, chain_id: 1, contract: "\(Self.mainnet)", rpc: "https://eth.example/v3/KEY", confirmations: 3 }
                - { name: a, chain_id: 0, contract: "\(Self.mainnet)", rpc: 1NODE, confirmations: 3 }
                - { name: c, chain_id: 1, contract: "\(Self.base)", rpc: C_URL }
                - { name: d, chain_id: 5, rpc: D_URL, confirmations: 3 }
            """ + "\n" + Self.field
        #expect(lint(yaml) == [
            "rules.yaml:7:92: error[invalid-value]: 'rpc' of deployment 'a' looks like a URL; it names the environment variable that holds "
                + "the node's URL (node URLs carry API keys, which do not belong in a rules file), such as 'rpc: MAINNET_RPC_URL'",
            "rules.yaml:8:15: error[duplicate-value]: deployment name 'a' is used twice (first at line 7); give each its own",
            "rules.yaml:8:28: error[invalid-value]: 'chain_id' of deployment 'a' is the chain's id, a whole number from 1 up, not '0'",
            "rules.yaml:8:92: error[invalid-value]: 'rpc' of deployment 'a' names an environment variable: letters, digits and '_', "
                + "not starting with a digit, such as 'rpc: MAINNET_RPC_URL'; not '1NODE'",
            "rules.yaml:9:7: error[missing-key]: deployment 'c' is missing 'confirmations', and 'evm' gives none; say how many blocks behind "
                + "the latest to read on that chain, such as 'confirmations: 12', or 'confirmations: finalized'",
            "rules.yaml:9:28: error[duplicate-value]: deployment 'c' has chain id 1, as deployment 'a' (line 7) has: the DB key "
                + "(chain id, stream id) could not tell their streams apart; give one deployment per chain",
            "rules.yaml:10:7: error[missing-key]: an entry of 'deployments' is missing 'contract'; give the stream contract's address "
                + "on that chain, such as 'contract: \"0xAfb9…\"'",
        ])
        #expect(lint(Self.header + "evm:\n  confirmations: 1\n  deployments: []\n" + Self.field) == [
            "rules.yaml:7:16: error[invalid-value]: 'deployments' of 'evm' is empty; list at least one, or give one 'contract' instead",
        ])
    }

    @Test func theKeyIsTwoColumnsWithDeploymentsAndOneWithout() {
        let deployments = "evm:\n  confirmations: 1\n  deployments:\n    - { name: a, chain_id: 1, contract: \"\(Self.mainnet)\", rpc: A_URL }\n"
        let one = Self.header.replacingOccurrences(of: "[chain_id, stream_id]", with: "stream_id")
        #expect(lint(one + deployments + Self.field) == [
            "rules.yaml:3:12: error[wrong-node-kind]: with 'evm.deployments', 'db' of 'key' is a list of two columns, the chain id's and the "
                + "stream id's, such as 'db: [chain_id, stream_id]'; not one column",
        ])
        let three = Self.header.replacingOccurrences(of: "[chain_id, stream_id]", with: "[chain_id, stream_id, x]")
        #expect(lint(three + deployments + Self.field) == [
            "rules.yaml:3:12: error[invalid-value]: 'db' of 'key' lists 3 columns; with 'evm.deployments' it is two, the chain id's and "
                + "the stream id's, such as 'db: [chain_id, stream_id]'",
        ])
        let twice = Self.header.replacingOccurrences(of: "[chain_id, stream_id]", with: "[id, id]")
        #expect(lint(twice + deployments + Self.field) == [
            "rules.yaml:3:17: error[duplicate-value]: column 'id' is listed twice in 'db' of 'key'; name the chain id's column and the "
                + "stream id's, such as 'db: [chain_id, stream_id]'",
        ])
        let contract = "evm:\n  contract: \"\(Self.mainnet)\"\n  confirmations: 1\n"
        #expect(lint(Self.header + contract + Self.field) == [
            "rules.yaml:3:12: error[wrong-node-kind]: 'db' of 'key' is a list of columns only with 'evm.deployments' (the chain id's and the "
                + "stream id's); name the one column that holds the stream id, such as 'db: stream_id'",
        ])
    }
}

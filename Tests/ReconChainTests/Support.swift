import ReconChain

extension Hex {
    /// The bytes of hex that a test knows to be valid, with or without `0x`.
    static func bytes(_ text: String) -> [UInt8] {
        // swiftlint:disable:next force_try
        try! decode(text, requirePrefix: false)
    }
}

/// Multicall3's address, as a well-known checksummed contract.
let knownContract = try! EthereumAddress("0xcA11bde05977b3631167028862bE2a173976CA11")

/// Multicall3's address on zkSync Era, as a second contract.
let otherContract = try! EthereumAddress("0xF9cda624FBC7e059355ce98a31693d299FACd963")

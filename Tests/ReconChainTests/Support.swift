import ReconChain

extension Hex {
    /// The bytes of hex that a test knows to be valid, with or without `0x`.
    static func bytes(_ text: String) -> [UInt8] {
        // swiftlint:disable:next force_try
        try! decode(text, requirePrefix: false)
    }
}

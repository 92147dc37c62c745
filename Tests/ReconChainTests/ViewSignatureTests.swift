import ReconChain
import Testing

struct ViewSignatureTests {
    func parsed(_ text: String) throws -> ViewSignature { try ViewSignature(parsing: text) }

    func failure(_ text: String) -> String? {
        do {
            _ = try ViewSignature(parsing: text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func parsesTheSablierViews() throws {
        let withdrawn = try parsed("getWithdrawnAmount(uint256) returns (uint128)")
        #expect(withdrawn.name == "getWithdrawnAmount")
        #expect(withdrawn.arguments == [.uint256])
        #expect(withdrawn.returnType == .uint128)
        #expect(withdrawn.canonical == "getWithdrawnAmount(uint256)")
        #expect(withdrawn.selector.description == "0xd511609f")
        #expect(withdrawn.description == "getWithdrawnAmount(uint256) returns (uint128)")

        let next = try parsed("nextStreamId() returns (uint256)")
        #expect(next.arguments.isEmpty)
        #expect(next.selector.description == "0x1e99d569")

        #expect(try parsed("statusOf(uint256) returns (uint8)").returnType == .uint8)
        #expect(try parsed("getSender(uint256) returns (address)").selector.description == "0xb971302a")
        #expect(try parsed("isStream(uint256) returns (bool)").selector.description == "0xb8a3be66")
    }

    @Test func canonicalisesAliasesForTheSelector() throws {
        let signature = try parsed("getWithdrawnAmount(uint) returns (uint128)")
        #expect(signature.canonical == "getWithdrawnAmount(uint256)")
        #expect(signature.selector.description == "0xd511609f")
        #expect(try parsed("f(int) returns (int)").canonical == "f(int256)")
    }

    @Test func acceptsSolidityDeclarationNoise() throws {
        let signature = try parsed("  function getWithdrawnAmount( uint256 streamId ) external view returns ( uint128 amount ) ")
        #expect(signature == (try parsed("getWithdrawnAmount(uint256) returns (uint128)")))
        #expect(try parsed("transferable(uint256 id,address who)public pure returns(bool)").canonical == "transferable(uint256,address)")
        #expect(try parsed("$weird_Name1(bytes32) returns (bytes4)").canonical == "$weird_Name1(bytes32)")
    }

    @Test func buildsFromParts() {
        let signature = ViewSignature(name: "balanceOf", arguments: [.address], returns: .uint256)
        #expect(signature.selector.description == "0x70a08231")
        #expect(signature.description == "balanceOf(address) returns (uint256)")
    }

    @Test func namesUnknownTypesWithTheirColumn() {
        #expect(failure("getWithdrawnAmount(uint257) returns (uint128)") == "column 20: unknown ABI type 'uint257'; uintN takes N from 8 to 256 in steps of 8")
        #expect(failure("f(uint256) returns (int7)") == "column 21: unknown ABI type 'int7'; intN takes N from 8 to 256 in steps of 8")
        #expect(failure("f(bytes33) returns (bool)") == "column 3: unknown ABI type 'bytes33'; bytesN takes N from 1 to 32")
        #expect(failure("f(unit256) returns (bool)") == "column 3: unknown ABI type 'unit256'")
    }

    @Test func refusesDynamicAndCompositeTypes() {
        let supported = "only static types are supported (uintN, intN, address, bool, bytesN)"
        #expect(failure("name() returns (string)") == "column 17: ABI type 'string' is dynamic; \(supported)")
        #expect(failure("f(bytes) returns (bool)") == "column 3: ABI type 'bytes' is dynamic; \(supported)")
        #expect(failure("f(uint256[]) returns (bool)") == "column 3: array type 'uint256[]' is not supported; \(supported)")
        #expect(failure("f(uint256 [2]) returns (bool)")?.hasPrefix("column 3: array type") == true)
        #expect(failure("getStream(uint256) returns ((address,uint128))") == "column 29: tuple types are not supported; \(supported)")
        #expect(failure("f(fixed128x18) returns (bool)") == "column 3: ABI type 'fixed128x18' is not supported; \(supported)")
        #expect(failure("f(ufixed) returns (bool)")?.hasPrefix("column 3: ABI type 'ufixed'") == true)
    }

    @Test func refusesMalformedText() {
        #expect(failure("") == "column 1: expected a function name; found the end")
        #expect(failure("1f() returns (bool)") == "column 1: expected a function name; found '1'")
        #expect(failure("nextStreamId") == "column 13: expected '('; found the end")
        #expect(failure("nextStreamId()") == "column 15: expected 'returns (type)': a view call needs its return type")
        #expect(failure("nextStreamId() view") == "column 20: expected 'returns (type)': a view call needs its return type")
        #expect(failure("nextStreamId() payable returns (uint256)") == "column 16: expected 'returns'; found 'payable'")
        #expect(failure("nextStreamId() -> uint256") == "column 16: expected 'returns'; found '-'")
        #expect(failure("nextStreamId() returns uint256") == "column 24: expected '('; found 'u'")
        #expect(failure("f(uint256,) returns (bool)") == "column 11: expected a type; found ')'")
        #expect(failure("f(uint256 a b) returns (bool)") == "column 13: expected ',' or ')'; found 'b'")
        #expect(failure("f(uint256") == "column 10: expected ',' or ')'; found the end")
        #expect(failure("f() returns (bool) extra") == "column 20: unexpected 'e' after the return type")
        #expect(failure("f() returns ()") == "column 13: a view call returns exactly one value; found 0")
        #expect(failure("f() returns (bool, uint256)") == "column 13: a view call returns exactly one value; found 2")
        #expect(failure("función() returns (bool)") == "column 6: expected '('; found 'ó'")
    }

    @Test func errorsCarryKindAndColumn() throws {
        let error = try #require(throws: SignatureError.self) { try ViewSignature(parsing: "f(uint257) returns (bool)") }
        #expect(error == SignatureError(.unknownType, column: 3, "unknown ABI type 'uint257'; uintN takes N from 8 to 256 in steps of 8"))
        #expect((try? ViewSignature(parsing: "f(string) returns (bool)")) == nil)
        let dynamic = try #require(throws: SignatureError.self) { try ViewSignature(parsing: "f(string) returns (bool)") }
        #expect(dynamic.kind == .unsupportedType)
        let syntax = try #require(throws: SignatureError.self) { try ViewSignature(parsing: "f(") }
        #expect(syntax.kind == .syntax)
        #expect(syntax.column == 3)
    }
}

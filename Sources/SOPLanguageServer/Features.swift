import SOPCore
import SOPDiagnostics
import SOPJSON

extension LanguageServer {
    func documentSymbols(_ params: Params) throws(RPCError) -> JSONValue { .array([]) }
    func definition(_ params: Params) throws(RPCError) -> JSONValue { .null }
    func references(_ params: Params) throws(RPCError) -> JSONValue { .array([]) }
    func prepareRename(_ params: Params) throws(RPCError) -> JSONValue { .null }
    func rename(_ params: Params) throws(RPCError) -> JSONValue { .null }
    func codeActions(_ params: Params) throws(RPCError) -> JSONValue { .array([]) }
    func completion(_ params: Params) throws(RPCError) -> JSONValue { .array([]) }
    func hover(_ params: Params) throws(RPCError) -> JSONValue { .null }
    func fixData(_ d: Diagnostic) -> JSONValue? { nil }
}

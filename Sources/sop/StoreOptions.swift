import ArgumentParser
import Foundation
import SOPCore
import SOPExpression
import SOPJSON
import SOPService
import SOPStore

/// The store alone, for commands that act on no SOP (tokens, the outbox).
struct StoreOptions: ParsableArguments {
    @Option(help: RunOptions.storeHelp)
    var store: String?

    var time: Int64 { Clock.now() }

    func service() throws -> RunService {
        var options = try RunOptions.parse([])
        options.store = store
        return try options.service()
    }
}

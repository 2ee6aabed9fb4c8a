import SOPCore
import SOPLanguageServer
import Testing

struct AuthoringContextTests {
    @Test func anEmptyContextKnowsNothing() {
        let context = AuthoringContext()
        #expect(context.sops.isEmpty && context.ticketSchema == nil && context.calendars.isEmpty)
    }
}

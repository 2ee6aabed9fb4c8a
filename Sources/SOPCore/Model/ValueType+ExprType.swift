import SOPExpression

extension ValueType {
    /// The expression type of a value declared with this type (`values` for enums).
    public func exprType(values: [String]) -> ExprType {
        switch self {
        case .string: return .string
        case .integer: return .integer
        case .number: return .number
        case .boolean: return .boolean
        case .date: return .date
        case .datetime: return .datetime
        case .duration: return .duration
        case .enum: return .enumeration(values)
        case .list: return .list(.string)
        }
    }
}

extension SOPDefinition {
    /// What the expression checker may read in this SOP.
    public func expressionEnvironment(ticket: ExprType?, childOutcomes: [String]? = nil) -> ExpressionEnvironment {
        var vars: [String: ExprType] = [:]
        vars.reserveCapacity(self.vars.count)
        // Backwards, so that the first declaration of a name is the one kept, at one hash each.
        for v in self.vars.reversed() {
            vars[v.id.value] = v.type.exprType(values: v.values.map(\.value))
        }
        var inputs: [String: ExprType] = [:]
        inputs.reserveCapacity(states.reduce(0) { $0 + $1.inputs.count })
        for state in states.reversed() {
            for input in state.inputs.reversed() {
                inputs[input.id.value] = input.type.exprType(values: input.values.map(\.value))
            }
        }
        for name in undecodedInputs where inputs[name] == nil { inputs[name] = .any }
        return ExpressionEnvironment(ticket: ticket, vars: vars, inputs: inputs, childOutcomes: childOutcomes,
                                     states: states.map(\.id.value))
    }
}

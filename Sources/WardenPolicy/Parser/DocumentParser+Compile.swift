// Turns checked statements into compiled ones, and lists the context keys the document uses.

extension DocumentParser {
    func compile() throws(PolicyError) -> ParsedDocument {
        var compiled: [CompiledStatement] = []
        compiled.reserveCapacity(statements.count)
        var keys = OrderedKeys()
        for s in statements {
            compiled.append(try compile(s))
            collectKeys(s, into: &keys)
        }
        return ParsedDocument(version: version, documentId: documentId, statements: compiled, conditionKeys: keys.list)
    }

    private func compile(_ s: RawStatement) throws(PolicyError) -> CompiledStatement {
        // Actions are case-insensitive: both the pattern and (per request) the action are lowercased.
        let actions: ActionSet
        if let list = s.action {
            actions = .action(list.map { Glob(pattern: $0.lowercased()) })
        } else {
            actions = .notAction((s.notAction ?? []).map { Glob(pattern: $0.lowercased()) })
        }
        let resources: ResourceSet
        if let list = s.resource {
            resources = .resource(list.map(resourcePattern))
        } else if let list = s.notResource {
            resources = .notResource(list.map(resourcePattern))
        } else {
            resources = .any
        }
        let principals: PrincipalSet
        if let p = s.principal {
            principals = .principal(try Self.principalSpec(p))
        } else if let p = s.notPrincipal {
            principals = .notPrincipal(try Self.principalSpec(p))
        } else {
            principals = .implied
        }
        let conditions = s.conditions.map { op, key, values in
            ConditionBlock(op: op, key: key, values: values.map {
                ConditionValue.compile($0, test: op.test, variables: variablesEnabled)
            })
        }
        return CompiledStatement(sid: s.sid, index: s.index, effect: s.effect == "Deny" ? .deny : .allow,
                                 actions: actions, resources: resources, principals: principals,
                                 conditions: conditions)
    }

    private func resourcePattern(_ text: String) -> ResourcePattern {
        if variablesEnabled, let t = Template.parse(text) { return .template(t) }
        return .glob(Glob(pattern: text))
    }

    /// Condition keys and variable keys in the order the document first uses them.
    private func collectKeys(_ s: RawStatement, into keys: inout OrderedKeys) {
        for (name, _) in s.members {
            switch name {
            case "Resource", "NotResource":
                guard variablesEnabled else { continue }
                for r in (name == "Resource" ? s.resource : s.notResource) ?? [] {
                    for v in Template.parse(r)?.variables ?? [] { keys.add(v.key) }
                }
            case "Condition":
                for (op, key, values) in s.conditions {
                    keys.add(key)
                    guard variablesEnabled, op.test.allowsVariables else { continue }
                    for value in values {
                        for v in Template.parse(value)?.variables ?? [] { keys.add(v.key) }
                    }
                }
            default:
                continue
            }
        }
    }
}

/// Keys deduplicated case-insensitively (as IAM compares them), keeping the first spelling.
struct OrderedKeys {
    private(set) var list: [String] = []
    private var seen = Set<String>()

    mutating func add(_ key: String) {
        if seen.insert(key.lowercased()).inserted { list.append(key) }
    }
}

// Does one statement apply to one request? Cheapest tests first: action, resource, principal, then conditions.

enum StatementOutcome: Equatable {
    case notApplicable
    case allow(PrincipalMatch)
    case deny
}

extension RequestFacts {
    func outcome(of s: CompiledStatement) -> StatementOutcome {
        guard actionMatches(s.actions), resourceMatches(s.resources) == true else { return .notApplicable }
        let level: PrincipalMatch
        switch s.principals {
        case .implied:
            level = .direct
        case .principal(let spec):
            guard let m = match(spec) else { return .notApplicable }
            level = m
        case .notPrincipal(let spec):
            // Permissions boundaries page: "The NotPrincipal element with a Deny effect will always deny any IAM
            // principal that has a permissions boundary policy attached, regardless of the values specified".
            let boundaryQuirk = s.effect == .deny && hasBoundary && !principal.isResourceOnly && principal.kind != .root
            guard boundaryQuirk || !isExcluded(by: spec) else { return .notApplicable }
            level = .direct
        }
        guard conditionsHold(s.conditions) else { return .notApplicable }
        return s.effect == .deny ? .deny : .allow(level)
    }

    func actionMatches(_ set: ActionSet) -> Bool {
        action.withUnsafeBufferPointer { buf in
            switch set {
            case .action(let globs): return globs.contains { $0.matches(buf) }
            case .notAction(let globs): return !globs.contains { $0.matches(buf) }
            }
        }
    }

    /// true/false, or nil when a policy variable the match needs has no value ("any attempt to match it fails and
    /// causes the statement to be invalid"), so the statement does not apply.
    func resourceMatches(_ set: ResourceSet) -> Bool? {
        resource.withUnsafeBufferPointer { buf -> Bool? in
            switch set {
            case .any:
                return true
            case .resource(let patterns):
                // An entry whose variable has no value cannot match; another entry still can.
                return patterns.contains { $0.mayMatch(buf) && $0.matches(buf, lookup) == true }
            case .notResource(let patterns):
                for p in patterns {
                    guard let hit = p.matches(buf, lookup) else { return nil }
                    if hit { return false }
                }
                return true
            }
        }
    }

    /// Blocks (one operator applied to one key) are ANDed; values within a block are ORed (NOR when negated).
    func conditionsHold(_ blocks: [ConditionBlock]) -> Bool {
        for block in blocks where !block.evaluate(lookup) { return false }
        return true
    }

    /// Keys that `s` needs and the request lacks, when the statement's action (and principal) match: the keys of
    /// its conditions and of variables in its resources without a default.
    func missingKeys(of s: CompiledStatement, into keys: inout OrderedKeys) {
        guard actionMatches(s.actions) else { return }
        switch s.principals {
        case .implied: break
        case .principal(let spec): guard match(spec) != nil else { return }
        case .notPrincipal(let spec): guard !isExcluded(by: spec) else { return }
        }
        var unresolvedResource = false
        switch s.resources {
        case .any: break
        case .resource(let patterns), .notResource(let patterns):
            for case .template(let t) in patterns {
                let missing = t.unresolvedKeys(lookup)
                unresolvedResource = unresolvedResource || !missing.isEmpty
                for k in missing { keys.add(k) }
            }
        }
        guard unresolvedResource || resourceMatches(s.resources) == true else { return }
        for block in s.conditions {
            if lookup(block.lookupKey)?.isEmpty ?? true { keys.add(block.key) }
            for case .template(let t) in block.values {
                for k in t.unresolvedKeys(lookup) { keys.add(k) }
            }
        }
    }
}

import PosixThreads
import HTTPServer
import Synchronization

/// Something a test suite adds to the fixture, named by its id.
protocol FixtureRule: Sendable {
    var id: String { get }
    func writeJSON(to json: inout JSONWriter)
}

/// The fixture's rules of one kind (faults, stubs), in memory, oldest first: bounded, removable by
/// id, and free to ask about when there are none, since the speech gate asks on every request.
final class RuleList<Rule: FixtureRule>: Sendable {
    let capacity: Int
    private let rules = Lock<[Rule]>([])
    /// `rules.count`, readable without the lock.
    private let count = Atomic<Int>(0)

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isEmpty: Bool { count.load(ordering: .acquiring) == 0 }

    var all: [Rule] { rules.withLock { $0 } }

    /// Adds a rule; false when there are `capacity` already.
    func add(_ rule: Rule) -> Bool {
        update { all in
            guard all.count < capacity else { return false }
            all.append(rule)
            return true
        }
    }

    /// Removes one rule; false if there is no such rule.
    func remove(id: String) -> Bool {
        update { all in
            guard let index = all.firstIndex(where: { $0.id == id }) else { return false }
            all.remove(at: index)
            return true
        }
    }

    func removeAll() { update { $0.removeAll() } }

    /// Runs `body` on the rules under their lock (matching, counting hits, retiring rules).
    func update<T>(_ body: (inout [Rule]) -> T) -> T {
        rules.withLock { all in
            defer { count.store(all.count, ordering: .releasing) }
            return body(&all)
        }
    }

    /// `GET`, `DELETE` on `path` and `DELETE` on `path/{id}`; `create` makes a rule from a POST.
    /// `noun` names one rule in a 404 ("fault not found"), `plural` the limit ("at most 100 stubs").
    func register(in router: inout RouterBuilder, kit: RouteKit, path: String, noun: String, plural: String,
                  create: @escaping @Sendable (Request) throws -> Rule) {
        kit.route(&router, .POST, path) { [self] request in
            let rule = try create(request)
            guard add(rule) else { throw HTTPError(422, "at most \(capacity) \(plural) at a time") }
            var json = JSONWriter()
            rule.writeJSON(to: &json)
            return .now(.json(201, json.bytes, headers: HTTPHeaders([("Location", "\(path)/\(rule.id)")])))
        }
        kit.route(&router, .GET, path) { [self] _ in
            var json = JSONWriter()
            json.beginObject()
            json.beginArray("data")
            for rule in all { rule.writeJSON(to: &json) }
            json.endArray()
            json.endObject()
            return .now(.json(200, json.bytes))
        }
        kit.route(&router, .DELETE, path) { [self] _ in
            removeAll()
            return .now(Response(status: 204))
        }
        kit.route(&router, .DELETE, path + "/{id}") { [self] request in
            guard let id = request.parameters["id"], remove(id: id) else { throw HTTPError(404, "\(noun) not found") }
            return .now(Response(status: 204))
        }
    }
}

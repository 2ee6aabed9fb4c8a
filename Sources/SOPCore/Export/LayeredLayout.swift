/// A layered (Sugiyama-style) layout of a directed graph, top to bottom, for the drawings sopkit
/// makes itself: an SOP's states (`GraphSVG`) and the report's directly-follows graph.
///
/// The steps, each its own function below:
/// 1. **Cycles:** a depth-first search from the first node marks the edges that close a cycle;
///    they are reversed for ranking and drawn pointing back up.
/// 2. **Ranks:** the longest path from the sources, then each node moved to the median of its
///    neighbours' ranks where its edges allow (a light network simplex: shorter edges). Node
///    ranks are doubled, so that every edge crosses at least one odd rank where its label sits.
/// 3. **Dummies:** an edge spanning several ranks gets a dummy node in each rank between; the
///    dummy in the rank below its source carries the label, with the label's width beside it.
/// 4. **Order:** barycenter sweeps down and up with transposition of neighbours, the order with
///    the fewest crossings kept.
/// 5. **Coordinates:** each rank placed at the weighted mean of its neighbours' positions subject
///    to its order and the gaps between boxes (isotonic regression, pool-adjacent-violators),
///    sweeping up and down; long edges weigh more, and their dummies are then lined up where
///    there is room, so they run straight.
/// 6. **Routes:** inside a rank's band an edge runs vertically at its port or dummy, and between
///    bands (where there is nothing but edges) straight to the next. Since the boxes of a rank
///    never share an x, no edge passes through a node or a label.
/// Self-loops go round the node's right side, their labels beside them, in room the node keeps.
public struct LayeredLayout {
    public struct Size: Equatable, Sendable {
        public var width: Double, height: Double
        public init(width: Double, height: Double) { self.width = width; self.height = height }
    }

    public struct Rect: Equatable, Sendable {
        public var x: Double, y: Double, width: Double, height: Double
        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x; self.y = y; self.width = width; self.height = height
        }
        public var maxX: Double { x + width }
        public var maxY: Double { y + height }
    }

    public struct Point: Equatable, Sendable {
        public var x: Double, y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    public struct Edge: Sendable {
        public var from: Int, to: Int
        /// The size of the label's box, if the edge has one.
        public var label: Size?
        public init(from: Int, to: Int, label: Size? = nil) { self.from = from; self.to = to; self.label = label }
    }

    /// Where everything goes: node boxes, each edge as a polyline from its source to its target
    /// (in the edge's own direction), each label's box, and the drawing's size.
    public struct Result: Sendable {
        public var nodes: [Rect]
        public var routes: [[Point]]
        public var labels: [Rect?]
        public var width: Double, height: Double
    }

    public static let margin = 16.0, bandGap = 26.0, nodeGap = 28.0, dummyGap = 12.0, labelGap = 5.0
    public static let loopStep = 12.0

    // MARK: - The graph as laid out

    /// A box in a rank: a node, or a dummy of an edge (with its label, if it carries it).
    struct Item {
        var node: Int?
        var edge: Int?
        var left = 0.0, right = 0.0, height = 0.0
        var x = 0.0
    }

    /// An edge of the layered graph, between items of neighbouring ranks.
    struct Link {
        var upper: Int, lower: Int
        var weight: Double
        var edge: Int
    }

    let sizes: [Size]
    let edges: [Edge]
    let first: Int?
    var rank: [Int] = []
    var reversed: [Bool] = []
    var items: [Item] = []
    var layers: [[Int]] = []
    var links: [Link] = []
    /// Per edge (not a self-loop): its items, top to bottom.
    var chains: [[Int]] = []
    var loops: [[Int]] = []
    /// The crossings of the order found.
    var crossingCount = 0

    /// Lays out `nodes` (their box sizes) and `edges`; `first`, when given, is where the search
    /// for cycles begins, so that the edges back to it are the ones that point up (an SOP's start).
    public static func layout(nodes: [Size], edges: [Edge], first: Int? = nil) -> Result {
        // A few variants of the cycles and ranks (the heuristics each miss some graphs): the one
        // whose order has the fewest crossings is drawn, the first of equals.
        var best: LayeredLayout?
        for variant in 0..<4 {
            var l = LayeredLayout(sizes: nodes, edges: edges, first: first)
            l.breakCycles(depthFirstInReverse: variant & 1 == 1)
            l.assignRanks(shorten: variant & 2 == 0)
            l.buildLayers()
            l.orderLayers()
            if best == nil || l.crossingCount < best!.crossingCount { best = l }
            if best!.crossingCount == 0 { break }
        }
        var l = best!
        l.assignCoordinates()
        l.straightenLongEdges()
        return l.route()
    }

    // MARK: 1. Cycles

    mutating func breakCycles(depthFirstInReverse: Bool) {
        let n = sizes.count
        reversed = Array(repeating: false, count: edges.count)
        loops = Array(repeating: [], count: n)
        var out = [[Int]](repeating: [], count: n)
        for (e, edge) in edges.enumerated() {
            if edge.from == edge.to { loops[edge.from].append(e) } else { out[edge.from].append(e) }
        }
        if depthFirstInReverse { out = out.map { $0.reversed() } }
        var state = [UInt8](repeating: 0, count: n)  // 0 new, 1 on the stack, 2 done
        func visit(_ root: Int) {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while !stack.isEmpty {
                let (v, i) = stack[stack.count - 1]
                if i == out[v].count {
                    state[v] = 2
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let e = out[v][i], w = edges[e].to
                if state[w] == 1 { reversed[e] = true } else if state[w] == 0 {
                    state[w] = 1
                    stack.append((w, 0))
                }
            }
        }
        if let first { visit(first) }
        for v in 0..<n where state[v] == 0 { visit(v) }
    }

    /// The edge's ends as laid out: upper first.
    func ends(_ e: Int) -> (upper: Int, lower: Int) {
        reversed[e] ? (edges[e].to, edges[e].from) : (edges[e].from, edges[e].to)
    }

    // MARK: 2. Ranks

    mutating func assignRanks(shorten: Bool) {
        let n = sizes.count
        var preds = [[Int]](repeating: [], count: n), succs = [[Int]](repeating: [], count: n)
        for e in edges.indices where edges[e].from != edges[e].to {
            let (u, v) = ends(e)
            succs[u].append(v)
            preds[v].append(u)
        }
        // Longest path, in topological order (Kahn).
        var indegree = preds.map(\.count)
        var queue = (0..<n).filter { indegree[$0] == 0 }
        if let first, let i = queue.firstIndex(of: first) { queue.swapAt(0, i) }
        rank = Array(repeating: 0, count: n)
        var topo: [Int] = []
        var head = 0
        while head < queue.count {
            let v = queue[head]
            head += 1
            topo.append(v)
            for w in succs[v] {
                rank[w] = max(rank[w], rank[v] + 1)
                indegree[w] -= 1
                if indegree[w] == 0 { queue.append(w) }
            }
        }
        // Shorter edges: each node to the median of where its neighbours would have it.
        for _ in 0..<(shorten ? 6 : 0) {
            var moved = false
            for v in topo.reversed() + topo {
                let low = preds[v].map { rank[$0] + 1 }.max() ?? 0
                let high = succs[v].map { rank[$0] - 1 }.min() ?? Int.max
                guard low <= high else { continue }
                let wanted = (preds[v].map { rank[$0] + 1 } + succs[v].map { rank[$0] - 1 }).sorted()
                guard !wanted.isEmpty else { continue }
                let target = min(max(wanted[(wanted.count - 1) / 2], low), high)
                if target != rank[v] {
                    rank[v] = target
                    moved = true
                }
            }
            if !moved { break }
        }
        if shorten { shiftBlocks(preds: preds, succs: succs) }
        let lowest = rank.min() ?? 0
        rank = rank.map { ($0 - lowest) * 2 }
    }

    /// Moves a node a rank down (or up) together with every node its move would push along, when
    /// that shortens the edges in total: what network simplex does by moving a tree's part, here
    /// tried node by node until nothing shortens.
    mutating func shiftBlocks(preds: [[Int]], succs: [[Int]]) {
        for _ in 0..<40 {
            var moved = false
            for v in rank.indices {
                for step in [1, -1] {
                    var block: Set<Int> = [v], queue = [v]
                    while let u = queue.popLast() {
                        for w in (step == 1 ? succs[u] : preds[u]) where abs(rank[w] - rank[u]) == 1 && !block.contains(w) {
                            block.insert(w)
                            queue.append(w)
                        }
                    }
                    var change = 0
                    for u in block {
                        for w in succs[u] where !block.contains(w) { change += step == 1 ? -1 : 1 }
                        for w in preds[u] where !block.contains(w) { change += step == 1 ? 1 : -1 }
                    }
                    if change < 0 {
                        for u in block { rank[u] += step }
                        moved = true
                    }
                }
            }
            if !moved { break }
        }
    }

    // MARK: 3. Dummies

    mutating func buildLayers() {
        let n = sizes.count
        layers = Array(repeating: [], count: (rank.max() ?? 0) + 1)
        for v in 0..<n {
            var item = Item(node: v)
            item.left = sizes[v].width / 2
            item.right = sizes[v].width / 2
            item.height = sizes[v].height
            let loopLabels = loops[v].compactMap { edges[$0].label }
            if !loops[v].isEmpty {
                item.right += Self.loopStep * Double(loops[v].count + 1) + (loopLabels.isEmpty ? 0 : Self.labelGap)
                item.right += loopLabels.map(\.width).max() ?? 0
                item.height = max(item.height, loopLabels.map { $0.height + 2 }.reduce(0, +))
            }
            items.append(item)
            layers[rank[v]].append(v)
        }
        chains = Array(repeating: [], count: edges.count)
        for e in edges.indices where edges[e].from != edges[e].to {
            let (u, v) = ends(e)
            var chain = [u]
            for r in (rank[u] + 1)..<rank[v] {
                var item = Item(edge: e)
                if r == rank[u] + 1, let label = edges[e].label {
                    item.right = Self.labelGap + label.width
                    item.height = label.height
                }
                chain.append(items.count)
                layers[r].append(items.count)
                items.append(item)
            }
            chain.append(v)
            chains[e] = chain
            for (a, b) in zip(chain, chain.dropFirst()) {
                let dummies = (items[a].node == nil ? 1 : 0) + (items[b].node == nil ? 1 : 0)
                links.append(Link(upper: a, lower: b, weight: [1.0, 2.0, 8.0][dummies], edge: e))
            }
        }
    }

    // MARK: 4. Order

    mutating func orderLayers() {
        var ordering = LayerOrdering(itemCount: items.count, links: links)
        // Starting orders: depth-first from the top, its mirror, and shuffles of it (from a fixed
        // seed, so a drawing never changes from one run to the next); each improved by sweeps
        // and transpositions, the order with the fewest crossings kept.
        let start = depthFirstOrder(below: ordering.below)
        var best = start, bestCount = ordering.total(start)
        var random = FixedSeedRandom()
        // Each attempt costs about the square of the links; big graphs get fewer, so that a
        // drawing of 40 states stays well under a second.
        let attempts = links.count <= 60 ? Self.orderingAttempts : max(8, Self.orderingAttempts * 60 / links.count)
        for attempt in 0..<attempts where bestCount > 0 {
            var order = start
            if attempt == 1 { order = start.map { Array($0.reversed()) } }
            if attempt > 1 {
                for r in order.indices where order[r].count > 1 {
                    for i in stride(from: order[r].count - 1, to: 0, by: -1) { order[r].swapAt(i, random.next(i + 1)) }
                }
            }
            if let (improved, count) = ordering.improve(order, toBeat: bestCount) {
                best = improved
                bestCount = count
            }
        }
        layers = best
        crossingCount = bestCount
    }

    /// The items of each rank in the order a depth-first walk from the top reaches them.
    private func depthFirstOrder(below: [[Int]]) -> [[Int]] {
        var seen = Set<Int>()
        var dfsOrder: [Int] = []
        func visit(_ i: Int) {
            guard seen.insert(i).inserted else { return }
            dfsOrder.append(i)
            for lower in below[i] { visit(lower) }
        }
        for layer in layers { for i in layer { visit(i) } }
        var rankOf = [Int](repeating: 0, count: items.count)
        for (r, layer) in layers.enumerated() { for i in layer { rankOf[i] = r } }
        var start = [[Int]](repeating: [], count: layers.count)
        for i in dfsOrder { start[rankOf[i]].append(i) }
        return start
    }

    /// How many starting orders the crossing reduction tries (for graphs of up to 60 links).
    static let orderingAttempts = 80

    // MARK: 5. Coordinates

    mutating func assignCoordinates() {
        var neighbours = [[(item: Int, weight: Double)]](repeating: [], count: items.count)
        for link in links {
            neighbours[link.upper].append((link.lower, link.weight))
            neighbours[link.lower].append((link.upper, link.weight))
        }
        func gap(_ a: Int, _ b: Int) -> Double {
            items[a].right + items[b].left + (items[a].node == nil && items[b].node == nil ? Self.dummyGap : Self.nodeGap)
        }
        // Packed from the left to begin with.
        for layer in layers {
            var x = 0.0
            for (i, item) in layer.enumerated() {
                if i > 0 { x += gap(layer[i - 1], item) }
                items[item].x = x
            }
        }
        for iteration in 0..<16 {
            let ranks = iteration % 2 == 0 ? Array(layers.indices) : Array(layers.indices.reversed())
            for r in ranks where !layers[r].isEmpty {
                let layer = layer(r)
                var desired: [Double] = [], weights: [Double] = [], offsets: [Double] = [0]
                for item in layer {
                    let ns = neighbours[item]
                    let w = ns.map(\.weight).reduce(0, +)
                    desired.append(w > 0 ? ns.map { items[$0.item].x * $0.weight }.reduce(0, +) / w : items[item].x)
                    weights.append(w > 0 ? w : 0.1)
                }
                for i in 1..<max(1, layer.count) { offsets.append(offsets[i - 1] + gap(layer[i - 1], layer[i])) }
                let placed = Self.isotonic(zip(desired, offsets).map { $0 - $1 }, weights: weights)
                for (i, item) in layer.enumerated() { items[item].x = placed[i] + offsets[i] }
            }
        }
    }

    /// A long edge's dummies lined up on one x where their neighbours leave room, so that the
    /// edge runs straight down instead of wavering.
    mutating func straightenLongEdges() {
        var rankOf = [Int](repeating: 0, count: items.count), slot = [Int](repeating: 0, count: items.count)
        for (r, layer) in layers.enumerated() { for (i, item) in layer.enumerated() { rankOf[item] = r; slot[item] = i } }
        func gap(_ a: Int, _ b: Int) -> Double {
            items[a].right + items[b].left + (items[a].node == nil && items[b].node == nil ? Self.dummyGap : Self.nodeGap)
        }
        for _ in 0..<2 {
            for chain in chains where chain.count > 3 {
                let dummies = Array(chain.dropFirst().dropLast())
                let xs = dummies.map { items[$0].x }.sorted()
                for x in [xs[xs.count / 2], xs[0], xs[xs.count - 1]] {
                    let fits = dummies.allSatisfy { d in
                        let layer = layers[rankOf[d]], i = slot[d]
                        return (i == 0 || items[layer[i - 1]].x + gap(layer[i - 1], d) <= x + 1e-9)
                            && (i == layer.count - 1 || x + gap(d, layer[i + 1]) <= items[layer[i + 1]].x + 1e-9)
                    }
                    if fits {
                        for d in dummies { items[d].x = x }
                        break
                    }
                }
            }
        }
    }

    func layer(_ r: Int) -> [Int] { layers[r] }

    /// The nondecreasing sequence closest to `values` in weighted least squares
    /// (pool-adjacent-violators).
    static func isotonic(_ values: [Double], weights: [Double]) -> [Double] {
        var blocks: [(value: Double, weight: Double, count: Int)] = []
        for (v, w) in zip(values, weights) {
            blocks.append((v, w, 1))
            while blocks.count > 1 && blocks[blocks.count - 2].value > blocks[blocks.count - 1].value {
                let b = blocks.removeLast(), a = blocks.removeLast()
                let weight = a.weight + b.weight
                blocks.append(((a.value * a.weight + b.value * b.weight) / weight, weight, a.count + b.count))
            }
        }
        return blocks.flatMap { Array(repeating: $0.value, count: $0.count) }
    }

    // MARK: 6. Routes

    func route() -> Result {
        let left = items.map { $0.x - $0.left }.min() ?? 0
        let shift = Self.margin - left
        let bands = Bands(layers.map { layer in layer.map { items[$0].height }.max() ?? 0 })
        let boxes = nodeBoxes(shift: shift, bands: bands)
        let rankOf = Dictionary(uniqueKeysWithValues: layers.enumerated().flatMap { r, layer in layer.map { ($0, r) } })
        let ports = self.ports(boxes)
        var routes = [[Point]](repeating: [], count: edges.count)
        var labels = [Rect?](repeating: nil, count: edges.count)
        for e in edges.indices where chains[e].count > 1 {
            (routes[e], labels[e]) = edgeRoute(e, from: ports.bottom[e]!, to: ports.top[e]!, boxes: boxes, bands: bands,
                                               rankOf: rankOf, shift: shift)
        }
        routeSelfLoops(boxes: boxes, routes: &routes, labels: &labels)
        let width = (items.map { $0.x + $0.right }.max() ?? 0) + shift + Self.margin
        return Result(nodes: boxes, routes: routes, labels: labels, width: width,
                      height: max(bands.end - Self.bandGap + Self.margin, Self.margin * 2))
    }

    /// The horizontal bands the ranks are drawn in, top to bottom, `bandGap` apart.
    struct Bands {
        var top: [Double] = [], height: [Double] = []
        /// Where the next band would start.
        var end = LayeredLayout.margin

        init(_ heights: [Double]) {
            for h in heights {
                top.append(end)
                height.append(h)
                end += h + LayeredLayout.bandGap
            }
        }

        func bottom(_ r: Int) -> Double { top[r] + height[r] }
    }

    /// Each node's box: centred on its item, and vertically in its rank's band.
    private func nodeBoxes(shift: Double, bands: Bands) -> [Rect] {
        var boxes = sizes.map { _ in Rect(x: 0, y: 0, width: 0, height: 0) }
        for (r, layer) in layers.enumerated() {
            for i in layer {
                guard let v = items[i].node else { continue }
                boxes[v] = Rect(x: items[i].x + shift - sizes[v].width / 2,
                                y: bands.top[r] + (bands.height[r] - items[i].height) / 2, width: sizes[v].width, height: sizes[v].height)
            }
        }
        return boxes
    }

    /// Ports, by edge: a node's edges leave its bottom and enter its top spread out, in the
    /// order of the items they go to, so that they do not cross at the node.
    private func ports(_ boxes: [Rect]) -> (bottom: [Int: Double], top: [Int: Double]) {
        var bottomPort: [Int: Double] = [:], topPort: [Int: Double] = [:]
        for v in sizes.indices {
            let out = edges.indices.filter { chains[$0].first == v && chains[$0].count > 1 }
                .sorted { (items[chains[$0][1]].x, $0) < (items[chains[$1][1]].x, $1) }
            let into = edges.indices.filter { chains[$0].last == v && chains[$0].count > 1 }
                .sorted { (items[chains[$0][chains[$0].count - 2]].x, $0) < (items[chains[$1][chains[$1].count - 2]].x, $1) }
            for (list, ports) in [(out, 0), (into, 1)] {
                let spread = min(boxes[v].width - 24, Double(list.count - 1) * 14)
                for (k, e) in list.enumerated() {
                    let x = boxes[v].x + boxes[v].width / 2 + (list.count > 1 ? -spread / 2 + spread * Double(k) / Double(list.count - 1) : 0)
                    if ports == 0 { bottomPort[e] = x } else { topPort[e] = x }
                }
            }
        }
        return (bottomPort, topPort)
    }

    /// An edge's route (not a self-loop) from the port `x0` at the bottom of its upper node,
    /// down through its dummies, to the port `x1` at the top of its lower node; pointing the
    /// way the edge was written. Its label goes beside the dummy that carries it.
    private func edgeRoute(_ e: Int, from x0: Double, to x1: Double, boxes: [Rect], bands: Bands, rankOf: [Int: Int],
                           shift: Double) -> ([Point], Rect?) {
        let chain = chains[e]
        let u = chain[0], v = chain[chain.count - 1]
        var points: [Point] = []
        var label: Rect?
        func add(_ x: Double, _ y: Double) {
            if let last = points.last, abs(last.x - x) < 0.01, abs(last.y - y) < 0.01 { return }
            points.append(Point(x: x, y: y))
        }
        add(x0, boxes[u].maxY)
        add(x0, bands.bottom(rankOf[u]!))
        for d in chain.dropFirst().dropLast() {
            let r = rankOf[d]!, x = items[d].x + shift
            add(x, bands.top[r])
            add(x, bands.bottom(r))
            if let size = edges[e].label, items[d].right > 0 {
                label = Rect(x: x + Self.labelGap, y: bands.top[r] + (bands.height[r] - size.height) / 2,
                             width: size.width, height: size.height)
            }
        }
        add(x1, bands.top[rankOf[v]!])
        add(x1, boxes[v].y)
        return (reversed[e] ? points.reversed() : points, label)
    }

    /// Self-loops: nested round the right side, the innermost first, labels stacked beside.
    private func routeSelfLoops(boxes: [Rect], routes: inout [[Point]], labels: inout [Rect?]) {
        for v in sizes.indices where !loops[v].isEmpty {
            let box = boxes[v], k = loops[v].count
            var labelY = box.y
            let labelX = box.maxX + Self.loopStep * Double(k + 1) + Self.labelGap
            for (j, e) in loops[v].enumerated() {
                let lane = box.maxX + Self.loopStep * Double(j + 1)
                let dy = min(4 * Double(j), box.height / 2 - 6)
                let top = box.y + box.height / 2 - 6 - dy, bottom = box.y + box.height / 2 + 6 + dy
                routes[e] = [Point(x: box.maxX, y: top), Point(x: lane, y: top), Point(x: lane, y: bottom), Point(x: box.maxX, y: bottom)]
                if let label = edges[e].label {
                    labels[e] = Rect(x: labelX, y: labelY, width: label.width, height: label.height)
                    labelY += label.height + 2
                }
            }
        }
    }
}

/// The crossing reduction of `LayeredLayout.orderLayers`: each item's neighbours in the ranks
/// above and below, and its position in its rank under the order being improved.
private struct LayerOrdering {
    let above: [[Int]], below: [[Int]]
    var position: [Int]

    init(itemCount: Int, links: [LayeredLayout.Link]) {
        var above = [[Int]](repeating: [], count: itemCount), below = [[Int]](repeating: [], count: itemCount)
        for link in links {
            below[link.upper].append(link.lower)
            above[link.lower].append(link.upper)
        }
        self.above = above
        self.below = below
        position = [Int](repeating: 0, count: itemCount)
    }

    /// Improves `order` by up to eight rounds of a sweep and transpositions; returns the best
    /// order a round reached and its crossings if that beats `bestCount`.
    mutating func improve(_ start: [[Int]], toBeat bestCount: Int) -> (order: [[Int]], crossings: Int)? {
        var order = start
        var best: (order: [[Int]], crossings: Int)?
        index(order)
        var lastCount = Int.max
        for iteration in 0..<8 {
            sweep(&order, down: iteration % 2 == 0)
            transpose(&order, ties: iteration % 4 >= 2)
            let count = total(order)
            if count < (best?.crossings ?? bestCount) { best = (order, count) }
            if count == 0 || (count >= lastCount && iteration >= 3) { break }
            lastCount = count
        }
        return best
    }

    mutating func index(_ order: [[Int]]) {
        for layer in order { for (i, item) in layer.enumerated() { position[item] = i } }
    }

    /// Crossings between rank r and the next, from the current positions.
    func crossings(_ order: [[Int]], _ r: Int) -> Int {
        guard r >= 0, r + 1 < order.count else { return 0 }
        var pairs: [(Int, Int)] = []
        for item in order[r] { for lower in below[item] { pairs.append((position[item], position[lower])) } }
        var count = 0
        for i in pairs.indices {
            for j in (i + 1)..<pairs.count
            where (pairs[i].0 - pairs[j].0) * (pairs[i].1 - pairs[j].1) < 0 { count += 1 }
        }
        return count
    }

    mutating func total(_ order: [[Int]]) -> Int {
        index(order)
        return order.indices.reduce(0) { $0 + crossings(order, $1) }
    }

    /// Sorts each rank by the median position of its neighbours in the rank before it (above
    /// when going down, below when going up).
    mutating func sweep(_ order: inout [[Int]], down: Bool) {
        let ranks = down ? Array(order.indices.dropFirst()) : Array(order.indices.dropLast().reversed())
        for r in ranks {
            let keys = order[r].enumerated().map { i, item -> Double in
                let neighbours = (down ? above[item] : below[item]).map { Double(position[$0]) }.sorted()
                guard !neighbours.isEmpty else { return Double(i) }
                // The median, or the mean of the middle two.
                let m = neighbours.count / 2
                return neighbours.count % 2 == 1 ? neighbours[m] : (neighbours[m - 1] + neighbours[m]) / 2
            }
            let before = order[r]
            order[r] = keys.indices.sorted { a, b in keys[a] != keys[b] ? keys[a] < keys[b] : a < b }.map { before[$0] }
            for (i, item) in order[r].enumerated() { position[item] = i }
        }
    }

    /// Swaps neighbours while that removes crossings; with `ties`, also where it changes none.
    mutating func transpose(_ order: inout [[Int]], ties: Bool) {
        var improved = true, rounds = 0
        while improved && rounds < 6 {
            improved = false
            rounds += 1
            for r in order.indices where order[r].count > 1 {
                for i in 0..<(order[r].count - 1) {
                    let a = order[r][i], b = order[r][i + 1]
                    let before = crossings(order, r - 1) + crossings(order, r)
                    order[r].swapAt(i, i + 1)
                    position[a] = i + 1
                    position[b] = i
                    let after = crossings(order, r - 1) + crossings(order, r)
                    if after < before {
                        improved = true
                    } else if !(ties && after == before) {
                        order[r].swapAt(i, i + 1)
                        position[a] = i
                        position[b] = i + 1
                    }
                }
            }
        }
    }
}

/// A linear congruential generator from a fixed seed: the shuffled starting orders are the same
/// in every run, so a drawing never changes.
private struct FixedSeedRandom {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// A number in 0..<bound.
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}

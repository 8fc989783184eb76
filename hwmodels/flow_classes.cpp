#include "hwmodels/flow_classes.hpp"

#include <algorithm>
#include <unordered_map>

#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"

namespace ddpsim {

namespace {


// Dense ids for the distinct values of `keys`, in order of first appearance.
int densify(const std::vector<std::uint64_t>& keys, std::vector<int>& out) {
  std::unordered_map<std::uint64_t, int> ids;
  ids.reserve(keys.size() * 2 + 1);
  out.resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto [it, fresh] = ids.emplace(keys[i], static_cast<int>(ids.size()));
    (void)fresh;
    out[i] = it->second;
  }
  return static_cast<int>(ids.size());
}

std::uint64_t bits(double v) {
  std::uint64_t u = 0;
  static_assert(sizeof u == sizeof v);
  __builtin_memcpy(&u, &v, sizeof u);
  return u;
}

constexpr int kMaxRounds = 24;

}  // namespace

FlowQuotient aggregate_flows(const std::vector<std::vector<int>>& routes, const std::vector<double>& bytes,
                             const std::vector<double>& link_capacity_bps) {
  if (routes.size() != bytes.size()) throw ModelError("internal: aggregate_flows: routes and sizes differ");
  FlowQuotient q;
  // Local link and flow indices (flows with a route only).
  std::vector<int> local(link_capacity_bps.size(), -1);
  std::vector<int> link_global;
  std::vector<int> flow_of;  // local flow -> input index
  std::vector<std::size_t> fstart{0};
  std::vector<int> fl;  // CSR: local links of each local flow
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (routes[i].empty()) continue;
    flow_of.push_back(static_cast<int>(i));
    for (int l : routes[i]) {
      auto li = static_cast<std::size_t>(l);
      if (local[li] < 0) {
        local[li] = static_cast<int>(link_global.size());
        link_global.push_back(l);
      }
      fl.push_back(local[li]);
    }
    fstart.push_back(fl.size());
  }
  const std::size_t F = flow_of.size(), L = link_global.size();
  if (F == 0) {
    q.equitable = true;
    return q;
  }
  // CSR: local flows on each local link.
  std::vector<std::size_t> lstart(L + 1, 0);
  for (int l : fl) ++lstart[static_cast<std::size_t>(l) + 1];
  for (std::size_t l = 0; l < L; ++l) lstart[l + 1] += lstart[l];
  std::vector<int> lf(fl.size());
  {
    std::vector<std::size_t> pos(lstart.begin(), lstart.end() - 1);
    for (std::size_t f = 0; f < F; ++f) {
      for (std::size_t k = fstart[f]; k < fstart[f + 1]; ++k) lf[pos[static_cast<std::size_t>(fl[k])]++] = static_cast<int>(f);
    }
  }

  std::vector<std::uint64_t> key;
  std::vector<int> fcol, lcol;
  key.resize(F);
  for (std::size_t f = 0; f < F; ++f) key[f] = mix64(bits(bytes[static_cast<std::size_t>(flow_of[f])]));
  int nf = densify(key, fcol);
  key.resize(L);
  for (std::size_t l = 0; l < L; ++l) key[l] = mix64(bits(link_capacity_bps[static_cast<std::size_t>(link_global[l])]) ^ 0x1234567ull);
  int nl = densify(key, lcol);

  std::vector<std::uint64_t> scratch;
  auto signature = [&](int own, const std::vector<int>& cols, const std::vector<int>& adj, std::size_t b, std::size_t e) {
    scratch.clear();
    for (std::size_t k = b; k < e; ++k) scratch.push_back(static_cast<std::uint64_t>(cols[static_cast<std::size_t>(adj[k])]));
    std::sort(scratch.begin(), scratch.end());
    std::uint64_t h = mix64(static_cast<std::uint64_t>(own) + 0x9E3779B97F4A7C15ull);
    for (std::uint64_t c : scratch) h = mix64(h ^ (c + 0x632BE59BD9B4E019ull));
    return h;
  };
  for (;;) {
    ++q.rounds;
    key.resize(L);
    for (std::size_t l = 0; l < L; ++l) key[l] = signature(lcol[l], fcol, lf, lstart[l], lstart[l + 1]);
    int nl2 = densify(key, lcol);
    key.resize(F);
    for (std::size_t f = 0; f < F; ++f) key[f] = signature(fcol[f], lcol, fl, fstart[f], fstart[f + 1]);
    int nf2 = densify(key, fcol);
    bool stable = nl2 == nl && nf2 == nf;
    nl = nl2;
    nf = nf2;
    if (stable) break;
    // Refinement that does not settle quickly only tells apart positions along long chains
    // (distance to an irregular leaf, say): no use for aggregation. Per-flow model instead.
    if (q.rounds >= kMaxRounds) return q;
  }

  // Verify: members of a class see the same multiset of neighbour classes (and, for links, the
  // same capacity; for flows, the same size).
  auto sorted_cols = [&](const std::vector<int>& cols, const std::vector<int>& adj, std::size_t b, std::size_t e) {
    std::vector<int> v;
    for (std::size_t k = b; k < e; ++k) v.push_back(cols[static_cast<std::size_t>(adj[k])]);
    std::sort(v.begin(), v.end());
    return v;
  };
  std::vector<int> lrep(static_cast<std::size_t>(nl), -1), frep(static_cast<std::size_t>(nf), -1);
  std::vector<std::vector<int>> lsig(static_cast<std::size_t>(nl)), fsig(static_cast<std::size_t>(nf));
  q.class_links.assign(static_cast<std::size_t>(nl), 0);
  for (std::size_t l = 0; l < L; ++l) {
    auto c = static_cast<std::size_t>(lcol[l]);
    ++q.class_links[c];
    auto s = sorted_cols(fcol, lf, lstart[l], lstart[l + 1]);
    if (lrep[c] < 0) {
      lrep[c] = static_cast<int>(l);
      lsig[c] = std::move(s);
    } else if (s != lsig[c] || link_capacity_bps[static_cast<std::size_t>(link_global[l])] !=
                                   link_capacity_bps[static_cast<std::size_t>(link_global[static_cast<std::size_t>(lrep[c])])]) {
      return q;  // not equitable
    }
  }
  std::vector<long long> members(static_cast<std::size_t>(nf), 0);
  for (std::size_t f = 0; f < F; ++f) {
    auto c = static_cast<std::size_t>(fcol[f]);
    ++members[c];
    auto s = sorted_cols(lcol, fl, fstart[f], fstart[f + 1]);
    if (frep[c] < 0) {
      frep[c] = static_cast<int>(f);
      fsig[c] = std::move(s);
    } else if (s != fsig[c] || bytes[static_cast<std::size_t>(flow_of[f])] != bytes[static_cast<std::size_t>(flow_of[static_cast<std::size_t>(frep[c])])]) {
      return q;
    }
  }

  // The quotient: link class L with capacity of one of its links; flow class F crosses L with
  // coefficient n(L, F) = flows of F on one link of L.
  q.class_capacity_bps.resize(static_cast<std::size_t>(nl));
  std::vector<std::vector<std::pair<int, double>>> per_flow(static_cast<std::size_t>(nf));
  for (int c = 0; c < nl; ++c) {
    auto ci = static_cast<std::size_t>(c);
    q.class_capacity_bps[ci] = link_capacity_bps[static_cast<std::size_t>(link_global[static_cast<std::size_t>(lrep[ci])])];
    const auto& s = lsig[ci];  // sorted flow classes on the representative link
    for (std::size_t k = 0; k < s.size();) {
      std::size_t e = k;
      while (e < s.size() && s[e] == s[k]) ++e;
      per_flow[static_cast<std::size_t>(s[k])].emplace_back(c, static_cast<double>(e - k));
      k = e;
    }
  }
  for (int c = 0; c < nf; ++c) {
    auto ci = static_cast<std::size_t>(c);
    FlowQuotient::ClassFlow cf;
    cf.path = std::move(per_flow[ci]);
    cf.bytes = bytes[static_cast<std::size_t>(flow_of[static_cast<std::size_t>(frep[ci])])];
    cf.members = members[ci];
    q.flows.push_back(std::move(cf));
  }
  q.equitable = true;
  return q;
}

}  // namespace ddpsim

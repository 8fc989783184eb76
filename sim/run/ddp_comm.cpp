#include "sim/run/ddp_comm.hpp"

#include <algorithm>

#include "sim/core/errors.hpp"
#include "sim/run/training_run.hpp"

namespace ddpsim {

namespace {
constexpr std::uint64_t kFabricTag = 1ull << 63;  // flow tags of the fabric
}  // namespace

FabricConfig fabric_config(const HardwareSpec& hw, const ParamSet& nc, int nodes) {
  FabricConfig f;
  f.nodes = nodes;
  f.gpus_per_node = hw.gpus_per_node();
  f.nics_per_node = static_cast<int>(hw.p(kNics));
  f.nvlink_bps = hw.p(kNvlinkBw);
  f.nvlink_latency_s = hw.p(kNvlinkLatency);
  f.pcie_bps = hw.p(kGpuPcieBw);
  f.nic_bps = hw.p(kNicBw);
  f.nic_latency_s = hw.p(kNicLatency);
  f.link_bps = hw.p(kFabricLinkBw);
  f.switch_latency_s = hw.p(kSwitchLatency);
  f.leaf_radix = static_cast<int>(hw.p(kLeafRadix));
  f.blocking_factor = hw.p(kBlockingFactor);
  f.nodes_per_leaf = static_cast<int>(hw.p(kNodesPerLeaf));
  f.background_load = hw.p(kBackgroundLoad);
  f.rail = hw.p(kFabricLayout) == 1;
  f.intra_efficiency = nc[kCommIntraEff];
  f.inter_efficiency = nc[kCommInterEff];
  return f;
}

CommModel alpha_beta_model(const HardwareSpec& hw, const ParamSet& nc) {
  CommModel m;
  m.gpus_per_node = hw.gpus_per_node();
  m.nics_per_node = static_cast<int>(hw.p(kNics));
  m.nic_bandwidth_bps = hw.p(kNicBw);
  m.nic_latency_s = hw.p(kNicLatency);
  m.nvlink_bandwidth_bps = hw.p(kNvlinkBw);
  m.nvlink_latency_s = hw.p(kNvlinkLatency);
  m.intra_efficiency = nc[kCommIntraEff];
  m.inter_efficiency = nc[kCommInterEff];
  m.call_overhead_s = nc[kCommCallOverhead];
  return m;
}

ProtocolParams protocol_params(const ParamSet& nc) {
  ProtocolParams p;
  p.step_latency_s[0] = nc[kStepLatLL];
  p.step_latency_s[1] = nc[kStepLatLL128];
  p.step_latency_s[2] = nc[kStepLatSimple];
  p.efficiency[0] = nc[kEffLL];
  p.efficiency[1] = nc[kEffLL128];
  return p;
}

DdpCommParams DdpCommParams::from_scenario(const Scenario& s) {
  const auto& hw = s.hw;
  const auto& nc = s.node_cal;
  static constexpr Algorithm kAlgos[] = {Algorithm::Auto, Algorithm::Ring, Algorithm::Tree, Algorithm::Hierarchical};
  static constexpr Protocol kProtos[] = {Protocol::Auto, Protocol::LL, Protocol::LL128, Protocol::Simple};
  DdpCommParams p;
  p.ranks = s.gpus;
  p.bucket_bytes = s.wl.bucket_bytes();
  p.gradient_bytes = s.wl.p(kGradientBytes);
  p.streams = static_cast<int>(s.wl.p(kCommStreams));
  p.fabric_model = static_cast<int>(hw.p(kNcclModel)) == 0;
  p.live_flows = hw.p(kNcclLiveFlows) != 0.0;
  p.alpha_beta = alpha_beta_model(hw, nc);
  p.fabric = fabric_config(hw, nc, s.nodes);
  p.protocol = protocol_params(nc);
  p.channels = hw.nccl_channels();
  p.call_overhead_s = nc[kCommCallOverhead];
  p.algorithm = kAlgos[static_cast<int>(hw.p(kNcclAlgorithm))];
  p.protocol_choice = kProtos[static_cast<int>(hw.p(kNcclProtocol))];
  return p;
}

DdpComm::DdpComm(const DdpCommParams& p, Engine& engine, EventHandler* done, std::uint32_t done_kind)
    : eng_(&engine), done_(done), done_kind_(done_kind), ranks_(p.ranks), contributors_(p.contributors > 0 ? p.contributors : p.ranks), streams_(p.streams) {
  if (contributors_ < 1 || contributors_ > ranks_) throw ModelError("internal: bad number of contributing ranks");
  // DDP buckets: gradients appear uniformly over the backward pass, last layers first.
  const auto& buckets = p.bucket_bytes;
  double total = p.gradient_bytes, cum = 0;
  for (double b : buckets) {
    cum += b;
    ready_frac_.push_back(std::min(1.0, cum / total));
  }
  ready_frac_.back() = 1.0;
  ready_max_.assign(buckets.size(), 0);
  if (!p.fabric_model) {
    for (double b : buckets) cost_s_.push_back(p.alpha_beta.allreduce_s(b, ranks_));
    barrier_s_ = p.alpha_beta.allreduce_s(8.0, ranks_);
    if (streams_ > 1) throw InputError("ddp.comm_streams > 1 needs nccl.model fabric (streams compete for links)");
    return;
  }
  fabric_ = std::make_unique<Fabric>(p.fabric);
  const ProtocolParams& proto = p.protocol;
  colls_ = std::make_unique<FabricCollectives>(*fabric_, ranks_, p.channels, proto, p.call_overhead_s);
  Algorithm algo = p.algorithm;
  Protocol prot = p.protocol_choice;
  for (double b : buckets) cost_s_.push_back(colls_->allreduce(b, algo, prot).time_s);
  barrier_s_ = colls_->allreduce(8.0, algo, prot).time_s;
  live_ = ranks_ > 1 && (streams_ > 1 || p.live_flows);
  if (!live_) return;
  // Live mode: every bucket's allreduce runs as flows on the fabric, so buckets on different
  // streams (and stragglers) share links. Plans and routes are prepared once.
  for (double b : buckets) {
    CollectiveTiming tuned = colls_->allreduce(b, algo, prot);
    CollectivePlan plan = colls_->plan_allreduce(b, tuned.algorithm, tuned.protocol);
    double eff = tuned.protocol == Protocol::Simple ? 1.0 : proto.efficiency[static_cast<int>(tuned.protocol)];
    LivePlan lp;
    lp.call_overhead = seconds_to_ticks(p.call_overhead_s);
    for (const auto& ph : plan.phases) {
      lp.routes.emplace_back();
      lp.bytes.emplace_back();
      for (const auto& f : ph.flows) {
        lp.routes.back().push_back(fabric_->route(f.src, f.dst, colls_->flow_hash(f)));
        lp.bytes.back().push_back(f.bytes / eff);
      }
      lp.phase_latency.push_back(seconds_to_ticks(ph.latency_steps * colls_->step_latency_s(ph, tuned.protocol)));
    }
    live_plans_.push_back(std::move(lp));
  }
  net_ = std::make_unique<FlowNetworkActor>(engine, *this, fabric_->link_capacities_bps());
  live_ready_.assign(buckets.size(), 0);
  live_launched_.assign(buckets.size(), 0);
  live_outstanding_.assign(buckets.size(), 0);
  live_phase_.assign(buckets.size(), 0);
  stream_next_.resize(static_cast<std::size_t>(streams_));
  for (int k = 0; k < streams_; ++k) stream_next_[static_cast<std::size_t>(k)] = k;  // bucket b runs on stream b % streams
  stream_busy_.assign(static_cast<std::size_t>(streams_), 0);
}

DdpComm::~DdpComm() = default;

void DdpComm::all_contributed() {
  contributed_ = 0;
  if (live_) {
    // Every rank has started its backward pass: each bucket is launched on its stream when the
    // last rank has it ready and the stream's previous bucket is done; flows share the fabric.
    for (std::size_t b = 0; b < ready_max_.size(); ++b) {
      live_ready_[b] = ready_max_[b];
      live_launched_[b] = 1;
      eng_->schedule_at(ready_max_[b], this, kBucketReady, static_cast<std::uint32_t>(b), 0, Priority::kCollective);
      ready_max_[b] = 0;
    }
    return;
  }
  // Every rank has started its backward pass: the buckets are reduced in launch order on one
  // communication stream, each starting when the last rank has it ready and the previous is done.
  Tick end = 0;
  for (std::size_t b = 0; b < ready_max_.size(); ++b) {
    Tick begin = std::max(ready_max_[b], end);
    end = begin + seconds_to_ticks(cost_s_[b]);
    ready_max_[b] = 0;
  }
  eng_->schedule_at(end, done_, done_kind_, 0, 0, Priority::kCollective);
}

void DdpComm::live_try_launch(int stream) {
  auto st = static_cast<std::size_t>(stream);
  int b = stream_next_[st];
  if (stream_busy_[st] || b >= static_cast<int>(live_plans_.size())) return;
  auto bi = static_cast<std::size_t>(b);
  if (live_ready_[bi] > eng_->now() || live_launched_[bi] == 0) return;  // not every rank has it yet
  stream_busy_[st] = 1;
  live_phase_[bi] = 0;
  const LivePlan& lp = live_plans_[bi];
  if (lp.routes.empty()) {
    live_bucket_done(b);
    return;
  }
  eng_->schedule_in(lp.call_overhead + lp.phase_latency[0], this, kPhaseStart, static_cast<std::uint32_t>(b), 0, Priority::kResource);
}

void DdpComm::live_phase_start(int b, int phase) {
  auto bi = static_cast<std::size_t>(b);
  const LivePlan& lp = live_plans_[bi];
  const auto& routes = lp.routes[static_cast<std::size_t>(phase)];
  live_outstanding_[bi] = static_cast<int>(routes.size());
  const auto& bytes = lp.bytes[static_cast<std::size_t>(phase)];
  net_->batch([&](FlowNetwork& net, Tick now) {
    for (std::size_t i = 0; i < routes.size(); ++i) net.start(now, routes[i], bytes[i], kFabricTag | static_cast<std::uint64_t>(b));
  });
}

void DdpComm::live_bucket_done(int b) {
  int stream = b % streams_;
  auto st = static_cast<std::size_t>(stream);
  stream_busy_[st] = 0;
  stream_next_[st] += streams_;
  if (++live_done_ == static_cast<int>(live_plans_.size())) {
    live_done_ = 0;
    for (int k = 0; k < streams_; ++k) stream_next_[static_cast<std::size_t>(k)] = k;
    std::fill(live_launched_.begin(), live_launched_.end(), 0);
    eng_->schedule_in(0, done_, done_kind_, 0, 0, Priority::kCollective);
    return;
  }
  live_try_launch(stream);
}

void DdpComm::on_flow_done(std::uint64_t tag) {
  int b = static_cast<int>(tag & 0xFFFFFFFFull);
  auto bi = static_cast<std::size_t>(b);
  if (--live_outstanding_[bi] > 0) return;
  int next = ++live_phase_[bi];
  const LivePlan& lp = live_plans_[bi];
  if (next < static_cast<int>(lp.routes.size())) {
    eng_->schedule_in(lp.phase_latency[static_cast<std::size_t>(next)], this, kPhaseStart, static_cast<std::uint32_t>(b),
                      static_cast<std::uint32_t>(next), Priority::kResource);
  } else {
    live_bucket_done(b);
  }
}

void DdpComm::on_event(Engine& /*engine*/, const Event& e) {
  switch (e.kind()) {
    case kBucketReady:
      live_try_launch(static_cast<int>(e.a()) % streams_);
      break;
    case kPhaseStart:
      live_phase_start(static_cast<int>(e.a()), static_cast<int>(e.b));
      break;
    default:
      throw ModelError("internal: unknown communication event kind");
  }
}

}  // namespace ddpsim

#pragma once
// The DDP communication component of a training run. Gradients appear uniformly over the
// backward pass, last layers first, and fill buckets (a small first one, then ddp.bucket_cap
// each); a bucket is ready on a rank once the backward pass has produced its bytes, and its
// allreduce starts when every rank has it ready. Two models of the allreduce:
//  - per bucket, a time alone on the fabric (the flow-level fabric model, nccl.model fabric, or
//    the alpha-beta model): buckets are reduced in order on one stream, each starting when the
//    last rank has it ready and the previous one is done;
//  - live flows (nccl.live_flows, or ddp.comm_streams > 1): every bucket's allreduce runs phase
//    by phase as flows on the fabric, buckets on different streams share its links.
// When the step's last bucket is reduced, the component schedules the run's "collective done"
// event. The end-of-pass barrier costs one allreduce of 8 bytes.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "hwmodels/collectives.hpp"
#include "hwmodels/fabric.hpp"
#include "hwmodels/flow_network.hpp"
#include "sim/core/engine.hpp"

namespace ddpsim {

struct Scenario;

/// The communication parameters of a run, filled from the resolved scenario in one place.
struct DdpCommParams {
  int ranks = 1;                     // of the job (the collectives span every rank)
  int contributors = 0;              // simulated ranks that call rank_backward each step (0 = every rank; rank classes: fewer)
  std::vector<double> bucket_bytes;  // in launch order
  double gradient_bytes = 0;         // all of them
  int streams = 1;                   // ddp.comm_streams
  bool fabric_model = true;          // nccl.model: fabric (flow-level) or alpha-beta
  bool live_flows = false;           // nccl.live_flows: every allreduce as flows on the fabric
  CommModel alpha_beta;              // the alpha-beta model (nccl.model alpha-beta)
  FabricConfig fabric;               // the fabric model (nccl.model fabric)
  ProtocolParams protocol;
  int channels = 2;                  // NCCL channels
  double call_overhead_s = 0;        // per collective call
  Algorithm algorithm = Algorithm::Auto;
  Protocol protocol_choice = Protocol::Auto;

  static DdpCommParams from_scenario(const Scenario& scenario);
};

class DdpComm final : public EventHandler, public FlowSink {
 public:
  /// `done` receives event `done_kind` (priority kCollective) when a step's gradients are reduced.
  DdpComm(const DdpCommParams& p, Engine& engine, EventHandler* done, std::uint32_t done_kind);
  DdpComm(const DdpComm&) = delete;
  DdpComm& operator=(const DdpComm&) = delete;
  ~DdpComm();

  std::size_t buckets() const { return ready_frac_.size(); }
  /// Share of the backward pass after which bucket `b` is ready (the last is 1).
  double bucket_ready_fraction(std::size_t b) const { return ready_frac_[b]; }
  /// Allreduce time of bucket `b` alone on the fabric.
  double bucket_cost_s(std::size_t b) const { return cost_s_[b]; }
  /// The end-of-pass barrier (an allreduce of 8 bytes).
  double barrier_s() const { return barrier_s_; }
  bool live() const { return live_; }

  /// A rank computes its forward pass from `start` for `forward_s`, then its backward pass for
  /// `backward_s`: its buckets become ready along it. Once every rank has contributed, the
  /// step's allreduces are scheduled.
  void rank_backward(Tick start, double forward_s, double backward_s) {
    for (std::size_t b = 0; b < ready_frac_.size(); ++b) {
      Tick ready = start + seconds_to_ticks(forward_s + backward_s * ready_frac_[b]);
      ready_max_[b] = std::max(ready_max_[b], ready);
    }
    if (++contributed_ == contributors_) all_contributed();
  }

  void on_event(Engine& engine, const Event& e) override;
  void on_flow_done(std::uint64_t tag) override;

 private:
  enum EventKind : std::uint32_t {
    kBucketReady = 1,  // live: a = bucket, every rank has it ready
    kPhaseStart,       // live: a = bucket, b = phase; its latency has elapsed
  };
  struct LivePlan {
    std::vector<std::vector<std::vector<int>>> routes;  // per phase, per flow
    std::vector<std::vector<double>> bytes;             // per phase, per flow (protocol-inflated)
    std::vector<Tick> phase_latency;                    // latency before each phase's flows
    Tick call_overhead = 0;
  };
  void all_contributed();
  void live_try_launch(int stream);
  void live_phase_start(int bucket, int phase);
  void live_bucket_done(int bucket);

  Engine* eng_;
  EventHandler* done_;
  std::uint32_t done_kind_;
  int ranks_ = 1, contributors_ = 1, streams_ = 1;
  std::vector<double> ready_frac_;  // per bucket
  std::vector<double> cost_s_;      // per bucket: allreduce alone on the fabric
  double barrier_s_ = 0;
  std::vector<Tick> ready_max_;     // per bucket: latest ready time over the ranks so far (this step)
  int contributed_ = 0;
  // Live flows.
  bool live_ = false;
  std::unique_ptr<Fabric> fabric_;
  std::unique_ptr<FabricCollectives> colls_;
  std::vector<LivePlan> live_plans_;  // per bucket
  std::unique_ptr<FlowNetworkActor> net_;
  std::vector<Tick> live_ready_;      // per bucket: when every rank has it ready (this step)
  std::vector<char> live_launched_;
  std::vector<int> live_outstanding_;  // flows of the current phase still running, per bucket
  std::vector<int> live_phase_;
  std::vector<int> stream_next_;       // next bucket each stream will run
  std::vector<char> stream_busy_;
  int live_done_ = 0;
};

}  // namespace ddpsim

#pragma once
// The power component of a training run: what each GPU draws (from the workload's activity and
// the occupancy its local batch reaches, lbs / (lbs + lbs_half); the launch-bound step overhead
// at its own activity; idle, stall and exposed-communication power) and the CPU sockets' power
// from their busy cores (each rank's training process spins one core; every decoding loader
// worker keeps one more busy). The component maps states to watts and books socket changes in
// the energy ledger; when a GPU changes state is decided by the run (sim/run/training_run.cpp).
#include <cstddef>
#include <vector>

#include "hwmodels/power.hpp"
#include "sim/core/units.hpp"
#include "sim/run/energy.hpp"

namespace ddpsim {

struct Scenario;

/// The power parameters of a run, filled from the resolved scenario in one place.
struct PowerParams {
  GpuPowerModel gpu;               // idle, TDP, limit, communication share, capping
  double activity = 0.8;           // power.activity: share of the dynamic range at full occupancy
  double lbs_half = 8;             // power.lbs_half: LBS at half the dynamic range
  double overhead_activity = 1;    // power.overhead_activity: dynamic share during step overhead
  CpuSocketPowerModel cpu;         // per socket: idle power, per busy core, cores
  int sockets_per_node = 2;
  int gpus_per_node = 4;
  bool ram_metered = false;        // the node's RAM is a metered device
  double ram_power_w = 0;          // per node, constant

  static PowerParams from_scenario(const Scenario& scenario);
};

/// GPU power of a run: a state (activity, batch size) to watts.
class GpuPower {
 public:
  explicit GpuPower(const PowerParams& p) : model_(p.gpu), activity_(p.activity), lbs_half_(p.lbs_half), overhead_activity_(p.overhead_activity) {}

  /// Power a batch of `samples` would draw while computing, before the cap.
  double demand_w(double samples) const { return model_.demand_w(activity_, gpu_occupancy(samples, lbs_half_)); }
  /// Power drawn while computing at `demand_w` (softly capped at the power limit).
  double compute_power_w(double demand_w) const { return model_.compute_power_w(demand_w); }
  /// Factor >= 1 by which compute stretches at `demand_w` because of the cap.
  double time_stretch(double demand_w) const { return model_.time_stretch(demand_w); }
  /// Power during the fixed step overhead of a batch computing at `compute_power_w`: idle plus
  /// power.overhead_activity of the dynamic part.
  double overhead_power_w(double compute_power_w) const {
    return model_.idle_power_w + overhead_activity_ * (compute_power_w - model_.idle_power_w);
  }
  /// Power during the optimizer step of a rank with local batch `lbs` (its full-batch compute power).
  double optimizer_power_w(double lbs) const { return compute_power_w(demand_w(lbs)); }
  double idle_power_w() const { return model_.idle_power_w; }
  /// Power while the GPU waits for an exposed allreduce.
  double comm_power_w() const { return model_.comm_power_w(); }
  const GpuPowerModel& model() const { return model_; }

 private:
  GpuPowerModel model_;
  double activity_, lbs_half_, overhead_activity_;
};

/// The CPU sockets of the nodes a run touches (whole-socket charging): busy cores per socket,
/// booked in the energy ledger at each change.
class CpuSockets {
 public:
  CpuSockets(const PowerParams& p, int nodes)
      : model_(p.cpu), sockets_per_node_(p.sockets_per_node), gpus_per_node_(p.gpus_per_node),
        sockets_(static_cast<std::size_t>(nodes * p.sockets_per_node)) {}

  /// Adds every socket to `ledger` (idle, no busy core) and keeps the ledger for later changes;
  /// each socket stands for `weight` identical sockets (rank classes).
  void add_devices(EnergyLedger& ledger, double weight = 1.0);
  /// Socket (global index) of rank `rank`: local GPUs are spread evenly over the node's sockets.
  int socket_of_rank(int rank) const {
    int node = rank / gpus_per_node_;
    int local = rank % gpus_per_node_;
    return node * sockets_per_node_ + local * sockets_per_node_ / gpus_per_node_;
  }
  /// Socket `socket` has `delta` more busy cores from `now` on.
  void set_busy(int socket, int delta, Tick now) {
    Socket& sk = sockets_[static_cast<std::size_t>(socket)];
    sk.busy += delta;
    ledger_->set(sk.dev, now, model_.power_w(sk.busy), sk.busy > 0 ? Phase::Compute : Phase::Idle);
  }
  int busy(int socket) const { return sockets_[static_cast<std::size_t>(socket)].busy; }
  /// Busy cores over every socket of node `node`.
  int node_busy(int node) const {
    int b = 0;
    for (int k = 0; k < sockets_per_node_; ++k) b += sockets_[static_cast<std::size_t>(node * sockets_per_node_ + k)].busy;
    return b;
  }
  int count() const { return static_cast<int>(sockets_.size()); }
  double power_w(int socket) const { return model_.power_w(busy(socket)); }

 private:
  struct Socket {
    int dev = -1;
    int busy = 0;
  };
  CpuSocketPowerModel model_;
  int sockets_per_node_, gpus_per_node_;
  std::vector<Socket> sockets_;
  EnergyLedger* ledger_ = nullptr;
};

}  // namespace ddpsim

#pragma once
// Binds a rate-based resource model to an Engine. The model (EqualShareResource, FlowNetwork)
// reports its next completion; the actor keeps exactly one live event at that instant (older ones
// are made stale by a generation number), advances the model when it fires and hands every
// finished flow's tag to a sink.
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/engine.hpp"

namespace ddpsim {

class FlowSink {
 public:
  virtual void on_flow_done(std::uint64_t tag) = 0;

 protected:
  ~FlowSink() = default;
};

template <typename Model>
class ResourceActor final : public EventHandler {
 public:
  template <typename... Args>
  ResourceActor(Engine& engine, FlowSink& sink, Args&&... model_args)
      : engine_(&engine), sink_(&sink), model_(std::forward<Args>(model_args)...) {}

  /// Starts a flow now: model.start(now, args...).
  template <typename... Args>
  void start(Args&&... args) {
    model_.start(engine_->now(), std::forward<Args>(args)...);
    reschedule();
  }
  /// Changes the model in bulk (f(model, now)), then reschedules once.
  template <typename F>
  void batch(F&& f) {
    f(model_, engine_->now());
    reschedule();
  }
  Model& model() { return model_; }
  const Model& model() const { return model_; }

  void on_event(Engine& engine, const Event& event) override {
    if (event.b != generation_) return;  // stale: the next completion moved since
    scheduled_ = -1;
    model_.advance(engine.now());
    done_.clear();
    model_.pop_finished(done_);
    reschedule();
    for (std::size_t i = 0; i < done_.size(); ++i) sink_->on_flow_done(done_[i]);
  }

 private:
  void reschedule() {
    auto next = model_.next_completion();
    if (!next) {
      ++generation_;
      scheduled_ = -1;
      return;
    }
    if (*next == scheduled_) return;  // the pending event is still right
    ++generation_;
    scheduled_ = *next;
    engine_->schedule_at(*next, this, 0, 0, generation_, Priority::kResource);
  }

  Engine* engine_;
  FlowSink* sink_;
  Model model_;
  std::uint32_t generation_ = 0;
  Tick scheduled_ = -1;
  std::vector<std::uint64_t> done_;
};

}  // namespace ddpsim

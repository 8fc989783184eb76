// Sweep files: range syntax, grid expansion, the four scaling modes' arithmetic (hand-computed
// from the DistributedSampler split: steps/epoch = ceil(ceil(samples / n) / LBS)), config hashes.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sim/core/errors.hpp"
#include "sim/core/hash.hpp"
#include "sim/sweep/sweep.hpp"

using namespace ddpsim;

namespace {

SweepSpec parse(const std::string& text) { return parse_sweep(text, "test.yaml", ""); }

// Resolves point `i` of a sweep (InputError if the point is invalid).
Scenario resolve(const SweepSpec& spec, std::size_t i) { return resolve_scenario(spec.points.at(i).config); }

std::string config_error(const std::string& text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(SweepRange, ParsesIntegersAndRanges) {
  EXPECT_EQ(parse_int_range("8"), (std::vector<long long>{8}));
  EXPECT_EQ(parse_int_range("1..256 x2"), (std::vector<long long>{1, 2, 4, 8, 16, 32, 64, 128, 256}));
  EXPECT_EQ(parse_int_range(" 2 .. 8 *2 "), (std::vector<long long>{2, 4, 8}));
  EXPECT_EQ(parse_int_range("1..10 x3"), (std::vector<long long>{1, 3, 9}));  // stops at the last value <= 10
  EXPECT_EQ(parse_int_range("4..64 +20"), (std::vector<long long>{4, 24, 44, 64}));
  EXPECT_EQ(parse_int_range("1..4"), (std::vector<long long>{1, 2, 3, 4}));
  EXPECT_EQ(parse_int_range("0..2"), (std::vector<long long>{0, 1, 2}));
  EXPECT_EQ(parse_int_range("32..256x2").size(), 4u);
}

TEST(SweepRange, RejectsMalformedRanges) {
  for (const char* bad : {"", "a", "1..", "..4", "8..1", "1..8 x1", "0..8 x2", "-1", "1..8 -2", "1..8 x2 junk", "1.5", "1..8 +0"}) {
    EXPECT_THROW(parse_int_range(bad), InputError) << bad;
  }
  try {
    parse_int_range("1..");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'a..b xK' (geometric)"), std::string::npos) << e.what();
  }
}

TEST(SweepShard, ParsesIndexOverCount) {
  EXPECT_EQ(parse_shard("0/1").count, 1);
  EXPECT_EQ(parse_shard("3/8").index, 3);
  EXPECT_EQ(parse_shard("3/8").count, 8);
  for (const char* bad : {"8/8", "1", "a/2", "1/0", "-1/2", "1/2/3", ""}) EXPECT_THROW(parse_shard(bad), InputError) << bad;
}

TEST(SweepGrid, ExpandsTheCartesianProductInFileOrder) {
  auto spec = parse(
      "name: g\nworkload: resnet50\nhardware: [a100, h100]\nmode: constant_lbs\ngpus: 1..4 x2\nlbs: [64, 128]\nepochs: 1\n"
      "repeats: 2\nseed: 5\nset: {gpu.power_limit: [300 W, 400 W]}\n");
  // 2 hardware x 2 lbs x 2 power limits x 3 n x 2 seeds.
  ASSERT_EQ(spec.points.size(), 48u);
  EXPECT_EQ(spec.name, "g");
  const auto& p0 = spec.points[0].config;
  EXPECT_EQ(p0.hardware, "a100");
  EXPECT_EQ(p0.lbs, 64);
  EXPECT_EQ(p0.gbs, 0);  // derived from n x LBS
  EXPECT_EQ(p0.gpus, 1);
  EXPECT_EQ(p0.seed, 5u);
  EXPECT_EQ(spec.points[1].config.seed, 6u);  // seeds innermost, then n
  EXPECT_EQ(spec.points[2].config.gpus, 2);
  ASSERT_EQ(p0.overrides.size(), 1u);
  EXPECT_EQ(p0.overrides[0].second, "300 W");
  EXPECT_EQ(spec.points[6].config.overrides[0].second, "400 W");
  EXPECT_EQ(spec.points[24].config.hardware, "h100");
  for (std::size_t i = 0; i < spec.points.size(); ++i) {
    EXPECT_EQ(spec.points[i].index, i);
    EXPECT_EQ(spec.points[i].mode, ScalingMode::ConstantLbs);
  }
}

TEST(SweepGrid, GridsInheritTheTopLevelAndOverrideIt) {
  auto spec = parse(
      "name: two\nhardware: a100\ngpus: [4, 8]\nmode: constant_lbs\nepochs: 1\n"
      "grids:\n  - workload: resnet50\n    lbs: 256\n  - workload: fourcastnet\n    lbs: 1\n    hardware: [a100, h100]\n"
      "  - workload: resnet50\n    mode: constant_gbs\n    gbs: 256\n    gpus: 1..16 x2\n    seeds: [1, 2]\n");
  ASSERT_EQ(spec.points.size(), 2u + 4u + 10u);
  EXPECT_EQ(spec.points[0].config.workload, "resnet50");
  EXPECT_EQ(spec.points[0].config.lbs, 256);
  EXPECT_EQ(spec.points[2].config.workload, "fourcastnet");
  EXPECT_EQ(spec.points[5].config.hardware, "h100");
  EXPECT_EQ(spec.points[6].mode, ScalingMode::ConstantGbs);
  EXPECT_EQ(spec.points[6].config.gbs, 256);
  EXPECT_EQ(spec.points[6].config.lbs, 0);
  EXPECT_EQ(spec.points[15].config.gpus, 16);
  EXPECT_EQ(spec.points[15].config.seed, 2u);
}

TEST(SweepGrid, StrictKeysAndValuesWithFileLine) {
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpu: 4\nlbs: 1\n").find("test.yaml:4: unknown key 'gpu' (did you mean 'gpus'?)"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet5\nhardware: a100\ngpus: 4\nlbs: 1\n").find("test.yaml:2: unknown workload 'resnet5'"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a10\ngpus: 4\nlbs: 1\n").find("did you mean 'a100'"), std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpus: 1..\nlbs: 1\n").find("test.yaml:4: 'gpus': bad integer or range"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpus: 0\nlbs: 1\n").find("below the minimum 1"), std::string::npos);
  EXPECT_NE(config_error("name: x\nmode: constant_lsb\nworkload: resnet50\nhardware: a100\ngpus: 4\nlbs: 1\n")
                .find("test.yaml:2: unknown mode 'constant_lsb' (did you mean 'constant_lbs'?)"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpus: 4\nlbs: 1\nset: {gpu.tpd: 300 W}\n")
                .find("test.yaml:6: unknown parameter 'gpu.tpd' (did you mean 'gpu.tdp'?)"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpus: 4\nlbs: 1\nset: {gpu.tdp: 300}\n").find("gpu.tdp: "),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nphase: pretrain\nhardware: a100\ngpus: 4\nlbs: 1\n").find("unknown phase 'pretrain'"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpus: 4\n").find("give 'lbs' or 'gbs'"), std::string::npos);
  EXPECT_NE(config_error("workload: resnet50\nhardware: a100\ngpus: 4\nlbs: 1\n").find("missing required key 'name'"), std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: resnet50\nhardware: a100\ngpus: 4\nlbs: 1\nseeds: [1]\nrepeats: 2\n").find("not both"),
            std::string::npos);
  EXPECT_NE(config_error("name: x\nworkload: [resnet50\n").find("YAML syntax error"), std::string::npos);
}

TEST(SweepModes, EachModeAcceptsOnlyItsBatchAndDatasetKeys) {
  const std::string head = "name: m\nworkload: resnet50\nhardware: a100\ngpus: 4\n";
  EXPECT_NE(config_error(head + "mode: constant_lbs\nlbs: 64\ngbs: 256\n").find("test.yaml:7: mode constant_lbs does not take 'gbs'"),
            std::string::npos);
  EXPECT_NE(config_error(head + "mode: constant_lbs\nlbs: 64\nsamples_per_gpu: 10\n").find("use scaled_dataset_constant_lbs"),
            std::string::npos);
  EXPECT_NE(config_error(head + "mode: constant_gbs\nlbs: 64\n").find("mode constant_gbs needs 'gbs'"), std::string::npos);
  EXPECT_NE(config_error(head + "mode: scaled_dataset_constant_lbs\nlbs: 64\n").find("needs 'samples_per_gpu'"), std::string::npos);
  EXPECT_NE(config_error(head + "mode: scaled_dataset_constant_gbs\ngbs: 64\nlbs: 16\nsamples_per_gpu: 5\n").find("does not take 'lbs'"),
            std::string::npos);
}

TEST(SweepModes, ConstantLbsGrowsGbsAndShrinksStepsPerEpoch) {
  auto spec = parse("name: m\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 256\ngpus: [1, 16]\n");
  Scenario s1 = resolve(spec, 0), s16 = resolve(spec, 1);
  EXPECT_EQ(s16.lbs, 256);
  EXPECT_EQ(s16.gbs, 4096);                // 16 x 256
  EXPECT_EQ(s16.train_samples, 1281167);   // the dataset is constant
  EXPECT_EQ(s1.steps_per_epoch, 5005);     // ceil(1281167 / 256)
  EXPECT_EQ(s16.steps_per_epoch, 313);     // ceil(ceil(1281167 / 16) / 256) = ceil(80073 / 256)
  EXPECT_EQ(s16.epochs, 100);              // the phase's default
}

TEST(SweepModes, ConstantGbsShrinksLbsAndKeepsStepsPerEpoch) {
  auto spec = parse("name: m\nworkload: resnet50\nhardware: a100\nmode: constant_gbs\ngbs: 256\ngpus: [1, 16, 3]\n");
  Scenario s1 = resolve(spec, 0), s16 = resolve(spec, 1);
  EXPECT_EQ(s16.lbs, 16);  // 256 / 16
  EXPECT_EQ(s16.gbs, 256);
  EXPECT_EQ(s1.lbs, 256);
  EXPECT_EQ(s1.steps_per_epoch, 5005);   // ceil(1281167 / 256)
  EXPECT_EQ(s16.steps_per_epoch, 5005);  // ceil(80073 / 16): the same number of updates
  try {
    resolve(spec, 2);
    FAIL() << "GBS 256 on 3 GPUs must be invalid";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not divisible"), std::string::npos) << e.what();
  }
}

TEST(SweepModes, ScaledDatasetConstantLbsScalesTheTrainingSetWithN) {
  auto spec = parse("name: m\nworkload: resnet50\nhardware: a100\nmode: scaled_dataset_constant_lbs\nlbs: 256\nsamples_per_gpu: 5004\ngpus: [1, 8]\n");
  Scenario s1 = resolve(spec, 0), s8 = resolve(spec, 1);
  EXPECT_EQ(s1.train_samples, 5004);
  EXPECT_EQ(s8.train_samples, 40032);  // 5004 x 8
  EXPECT_EQ(s8.gbs, 2048);
  EXPECT_EQ(s1.steps_per_epoch, 20);  // ceil(5004 / 256): constant in n
  EXPECT_EQ(s8.steps_per_epoch, 20);
  // The validation set keeps its share of the training set: round(50000 x 40032 / 1281167).
  EXPECT_EQ(s8.val_samples, 1562);
}

TEST(SweepModes, ScaledDatasetConstantGbsMultipliesUpdatesWithN) {
  auto spec = parse("name: m\nworkload: resnet50\nhardware: a100\nmode: scaled_dataset_constant_gbs\ngbs: 256\nsamples_per_gpu: 5004\ngpus: [8, 32]\n");
  Scenario s8 = resolve(spec, 0), s32 = resolve(spec, 1);
  EXPECT_EQ(s8.lbs, 32);
  EXPECT_EQ(s32.lbs, 8);
  EXPECT_EQ(s32.train_samples, 160128);  // 5004 x 32
  EXPECT_EQ(s8.steps_per_epoch, 157);    // ceil(5004 / 32)
  EXPECT_EQ(s32.steps_per_epoch, 626);   // ceil(5004 / 8): updates grow with n
}

TEST(SweepModes, LbsAboveTheMemoryBoundIsAnInvalidPoint) {
  auto spec = parse("name: m\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 512\ngpus: 4\n");
  try {
    resolve(spec, 0);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("at most LBS 475"), std::string::npos);
  }
}

TEST(SweepKeys, ConfigHashIsCanonical) {
  // FNV-1a 64 test vectors.
  EXPECT_EQ(hex64(fnv1a64("")), "cbf29ce484222325");
  EXPECT_EQ(hex64(fnv1a64("a")), "af63dc4c8601ec8c");
  auto spec = parse(
      "name: h\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\ngpus: 4\nepochs: 2\nseeds: [1, 2]\n"
      "grids:\n  - set: {gpu.power_limit: 300 W, loader.workers: 8}\n  - set: {loader.workers: 8, gpu.power_limit: 0.3 kW}\n"
      "  - {}\n");
  ASSERT_EQ(spec.points.size(), 6u);
  std::vector<std::string> h;
  for (std::size_t i = 0; i < spec.points.size(); ++i) h.push_back(config_hash(resolve(spec, i)));
  EXPECT_EQ(h[0], h[2]);  // same overrides in another order and unit
  EXPECT_NE(h[0], h[1]);  // another seed
  EXPECT_NE(h[0], h[4]);  // no overrides
  EXPECT_EQ(h[0].size(), 16u);
  Scenario s = resolve(spec, 0);
  EXPECT_EQ(config_hash(s), hex64(fnv1a64(canonical_config(s))));
  std::string text = canonical_config(s);
  EXPECT_EQ(text.rfind("ddpsim-config/1\nworkload=resnet50\nphase=train\nhardware=a100\ngpus=4\nlbs=64\ngbs=256\nepochs=2\n", 0), 0u) << text;
  EXPECT_NE(text.find("hardware.gpu.power_limit=300\n"), std::string::npos);
  EXPECT_NE(text.find("workload.loader.workers=8\n"), std::string::npos);
  // Series: every input but n and the seed.
  EXPECT_EQ(series_key(spec.points[0], s), "resnet50/train/a100/constant_lbs/lbs=64/epochs=2/set:gpu.power_limit=300 W; loader.workers=8");
  EXPECT_EQ(point_label(spec.points[1]), "resnet50 a100 n=4 lbs=64 epochs=2 seed=2 {gpu.power_limit=300 W; loader.workers=8}");
}

// The root cause of perun_json_fuzz's finding, in a sweep file: a list or mapping as a key is
// a ConfigError at its line (no yaml-cpp exception escapes parse_sweep).
TEST(SweepGrid, ListOrMappingKeysAreConfigErrors) {
  EXPECT_NE(config_error("{{}: 1}").find("test.yaml:1: a key must be a single value, not a mapping"), std::string::npos)
      << config_error("{{}: 1}");
  std::string grid = "name: s\nworkload: resnet50\nhardware: a100\ngrids:\n  - [gpus]: 4\n";
  EXPECT_NE(config_error(grid).find("test.yaml:5: a key must be a single value, not a list"), std::string::npos)
      << config_error(grid);
}

TEST(SweepFiles, ShippedSweepFilesParse) {
  const std::string dir = std::string(DDPSIM_TEST_DIR) + "/../experiments/sweeps/";
  EXPECT_EQ(load_sweep_file(dir + "whatif.yaml").points.size(), 36u);  // 2 workloads x 2 GPUs x 9 n
  EXPECT_EQ(load_sweep_file(dir + "paper-resnet50.yaml").points.size(), 45u);
  EXPECT_EQ(load_sweep_file(dir + "example.yaml").points.size(), 280u);  // 2 hw x 2 seeds x 2 limits x 7 n x (1 + 2 + 1 + 1)
  auto bench = load_sweep_file(dir + "bench-100.yaml");
  ASSERT_EQ(bench.points.size(), 100u);  // the README's benchmark: 100 points, all valid
  for (const auto& p : bench.points) EXPECT_NO_THROW(resolve_scenario(p.config)) << point_label(p);
}

TEST(SweepGrid, IntervalLevelPerGridAndInTheConfigHash) {
  auto spec = parse(
      "name: iv\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\nepochs: 1\ngpus: 4\n"
      "grids:\n  - interval: 90\n  - interval: 80 %\n  - {}\n");
  ASSERT_EQ(spec.points.size(), 3u);
  EXPECT_DOUBLE_EQ(spec.points[0].config.interval_level, 0.9);
  EXPECT_DOUBLE_EQ(spec.points[1].config.interval_level, 0.8);
  EXPECT_EQ(spec.points[2].config.interval_level, 0.0);
  // A stored run without an interval is not the run with one (its stored outputs differ).
  Scenario with = resolve_scenario(spec.points[0].config), without = resolve_scenario(spec.points[2].config);
  EXPECT_NE(config_hash(with), config_hash(without));
  for (const char* bad : {"interval: 100", "interval: 0", "interval: [90, 95]", "interval: ninety"}) {
    try {
      parse(std::string("name: b\nworkload: resnet50\nhardware: a100\nlbs: 64\ngpus: 4\n") + bad + "\n");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(":6"), std::string::npos) << bad << ": " << e.what();  // names the line
      EXPECT_NE(std::string(e.what()).find("interval"), std::string::npos) << e.what();
    }
  }
}

TEST(SweepGrid, RankClassesPerGridAndInTheConfigHashBeyondOneNode) {
  auto spec = parse(
      "name: rc\nworkload: resnet50\nhardware: a100\nmode: constant_lbs\nlbs: 64\nepochs: 1\ngpus: [4, 16]\n"
      "grids:\n  - rank_classes: true\n  - rank_classes: false\n");
  ASSERT_EQ(spec.points.size(), 4u);
  EXPECT_TRUE(spec.points[0].config.rank_classes);
  EXPECT_TRUE(spec.points[1].config.rank_classes);
  EXPECT_FALSE(spec.points[2].config.rank_classes);
  // One node: nothing is aggregated, the same run (same hash); 4 nodes: an approximation, a
  // different configuration.
  EXPECT_EQ(config_hash(resolve_scenario(spec.points[0].config)), config_hash(resolve_scenario(spec.points[2].config)));
  EXPECT_NE(config_hash(resolve_scenario(spec.points[1].config)), config_hash(resolve_scenario(spec.points[3].config)));
  for (const char* bad : {"rank_classes: yes please", "rank_classes: [true]"}) {
    try {
      parse(std::string("name: b\nworkload: resnet50\nhardware: a100\nlbs: 64\ngpus: 4\n") + bad + "\n");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(":6"), std::string::npos) << bad << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find("rank_classes"), std::string::npos) << e.what();
    }
  }
}

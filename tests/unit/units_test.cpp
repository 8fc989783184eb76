#include <gtest/gtest.h>

#include "sim/core/errors.hpp"
#include "sim/core/units.hpp"

using namespace ddpsim;

TEST(Units, ParsesPowerEnergyDataBandwidthTime) {
  EXPECT_DOUBLE_EQ(parse_quantity("400 W", Dim::Power), 400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1.5kW", Dim::Power), 1500.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 kWh", Dim::Energy), 3.6e6);  // 1000 W x 3600 s
  EXPECT_DOUBLE_EQ(parse_quantity("25 MB", Dim::Data), 25e6);
  EXPECT_DOUBLE_EQ(parse_quantity("40 GiB", Dim::Data), 40.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parse_quantity("200 Gbit/s", Dim::Bandwidth), 25e9);  // 200e9 bit / 8
  EXPECT_DOUBLE_EQ(parse_quantity("25 GB/s", Dim::Bandwidth), 25e9);
  EXPECT_DOUBLE_EQ(parse_quantity("5 ms", Dim::Time), 0.005);
  EXPECT_DOUBLE_EQ(parse_quantity("2 h", Dim::Time), 7200.0);
  EXPECT_DOUBLE_EQ(parse_quantity("1 us", Dim::Time), 1e-6);
  EXPECT_DOUBLE_EQ(parse_quantity("2.4 GHz", Dim::Frequency), 2.4e9);
  EXPECT_DOUBLE_EQ(parse_quantity("50 %", Dim::Ratio), 0.5);
  EXPECT_DOUBLE_EQ(parse_quantity("0.25", Dim::Ratio), 0.25);
  EXPECT_DOUBLE_EQ(parse_quantity("4", Dim::Count), 4.0);
}

TEST(Units, RejectsMissingWrongOrUnknownUnits) {
  EXPECT_THROW(parse_quantity("400", Dim::Power), InputError);
  EXPECT_THROW(parse_quantity("400 J", Dim::Power), InputError);
  EXPECT_THROW(parse_quantity("400 Wats", Dim::Power), InputError);
  EXPECT_THROW(parse_quantity("abc", Dim::Time), InputError);
  EXPECT_THROW(parse_quantity("", Dim::Time), InputError);
  EXPECT_THROW(parse_quantity("2.5", Dim::Count), InputError);
  try {
    parse_quantity("400", Dim::Power);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("needs a unit"), std::string::npos) << e.what();
  }
}

TEST(Units, TicksRoundToNanoseconds) {
  EXPECT_EQ(seconds_to_ticks(1.0), kTicksPerSecond);
  EXPECT_EQ(seconds_to_ticks(1.5e-9), 2);
  EXPECT_EQ(seconds_to_ticks(-3.0), 0);
  EXPECT_DOUBLE_EQ(ticks_to_seconds(2'500'000'000), 2.5);
}

TEST(Units, FormatsWithPrefixes) {
  EXPECT_EQ(format_quantity(400, Dim::Power), "400 W");
  EXPECT_EQ(format_quantity(25e6, Dim::Data), "25 MB");
  EXPECT_EQ(format_quantity(0.005, Dim::Time), "5 ms");
}

TEST(EditDistance, SuggestsClosestName) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  std::vector<std::string> names{"resnet50", "fourcastnet"};
  EXPECT_EQ(did_you_mean("resnet", names), " (did you mean 'resnet50'?)");
  EXPECT_EQ(did_you_mean("zzzzzzzzzz", names), "");
}

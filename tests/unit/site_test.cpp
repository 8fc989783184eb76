// Carbon and cost at a site, computed by hand: facility energy = IT energy x PUE, emissions =
// facility energy x carbon intensity (time-weighted over a series), cost = facility energy x
// energy price + GPU hours x GPU-hour price.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "sim/core/errors.hpp"
#include "sim/core/units.hpp"
#include "sim/output/site.hpp"

using namespace ddpsim;
namespace fs = std::filesystem;

namespace {
std::string write_csv(const std::string& name, const std::string& text) {
  fs::path p = fs::temp_directory_path() / ("ddpsim_site_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}
SiteSpec site_with(const std::vector<std::pair<std::string, std::string>>& set) { return resolve_site(set); }
}  // namespace

TEST(Site, OneKwhAtPue12And400GramsPerKwhIs480Grams) {
  SiteSpec s = site_with({{"site.pue", "1.2"}, {"site.carbon_intensity", "400 g/kWh"}});
  SiteOutcome o = site_outcome(s, 1.0, 3600.0, 0.0);
  EXPECT_DOUBLE_EQ(o.facility_energy_kwh, 1.2);
  EXPECT_NEAR(o.emissions_kg_co2e, 0.480, 1e-12);  // 1 kWh x 1.2 x 400 g/kWh = 480 g
}

TEST(Site, CostIsFacilityEnergyTimesPricePlusGpuHoursTimesPrice) {
  SiteSpec s = site_with({{"site.pue", "1.2"}, {"site.energy_price", "0.30"}, {"site.gpu_hour_price", "1.5"}, {"site.currency", "USD"}});
  SiteOutcome o = site_outcome(s, 1.0, 3600.0, 2.0);
  EXPECT_NEAR(o.energy_cost, 1.2 * 0.30, 1e-12);   // 0.36
  EXPECT_NEAR(o.gpu_hour_cost, 2.0 * 1.5, 1e-12);  // 3.00
  EXPECT_NEAR(o.cost, 3.36, 1e-12);
  EXPECT_EQ(s.currency, "USD");
  EXPECT_DOUBLE_EQ(o.emissions_kg_co2e, 0.0);  // intensity not given
  EXPECT_EQ(s.intensity_source(), "not given");
}

TEST(Site, DefaultsLeaveEnergyAndReportNothing) {
  SiteSpec s = site_with({});
  SiteOutcome o = site_outcome(s, 2.5, 100.0, 3.0);
  EXPECT_DOUBLE_EQ(o.facility_energy_kwh, 2.5);
  EXPECT_DOUBLE_EQ(o.emissions_kg_co2e, 0.0);
  EXPECT_DOUBLE_EQ(o.cost, 0.0);
  EXPECT_EQ(s.currency, "EUR");
}

TEST(Site, CarbonIntensityUnits) {
  EXPECT_DOUBLE_EQ(parse_quantity("400 g/kWh", Dim::CarbonIntensity), 400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("0.4 kg/kWh", Dim::CarbonIntensity), 400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("400 kg/MWh", Dim::CarbonIntensity), 400.0);
  EXPECT_DOUBLE_EQ(parse_quantity("0.4 t/MWh", Dim::CarbonIntensity), 400.0);
  EXPECT_THROW(parse_quantity("400 W", Dim::CarbonIntensity), InputError);
  EXPECT_THROW(parse_quantity("400", Dim::CarbonIntensity), InputError);
  EXPECT_EQ(format_quantity(417.8, Dim::CarbonIntensity), "417.8 g/kWh");
}

TEST(Site, Iso8601Utc) {
  EXPECT_DOUBLE_EQ(parse_iso8601_utc("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_DOUBLE_EQ(parse_iso8601_utc("2024-01-01T00:00:00Z"), 1704067200.0);
  EXPECT_DOUBLE_EQ(parse_iso8601_utc("2024-03-01 01:30+00:00"), 1709256600.0);
  EXPECT_EQ(format_iso8601_utc(1709256600.0), "2024-03-01T01:30:00Z");
  EXPECT_THROW(parse_iso8601_utc("2024-02-30T00:00:00Z"), InputError);
  EXPECT_THROW(parse_iso8601_utc("2024-01-01T00:00:00+01:00"), InputError);
  EXPECT_THROW(parse_iso8601_utc("yesterday"), InputError);
}

TEST(Site, TwoHoursAtConstantPowerAcrossAnIntensityChangeAtOneHour) {
  // 100 g/kWh for the first hour, 300 g/kWh from then on; 2 h at 1 kW = 2 kWh.
  std::string csv = write_csv("series.csv",
                              "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,100\n2024-01-01T01:00:00Z,300\n"
                              "2024-01-01T05:00:00Z,50\n");
  SiteSpec s = site_with({{"site.carbon_intensity", "@" + csv}, {"site.start_time", "2024-01-01T00:00:00Z"}});
  ASSERT_TRUE(s.has_series());
  EXPECT_DOUBLE_EQ(s.mean_intensity_g_per_kwh(7200.0), 200.0);
  SiteOutcome o = site_outcome(s, 2.0, 7200.0, 0.0);
  EXPECT_NEAR(o.emissions_kg_co2e, (1.0 * 100 + 1.0 * 300) / 1000.0, 1e-12);  // 0.4 kg
  // Starting at 00:30: 0.5 h x 100 + 1.5 h x 300 = 500 g for 2 kWh.
  SiteSpec late = site_with({{"site.carbon_intensity_file", csv}, {"site.start_time", "2024-01-01T00:30:00Z"}});
  EXPECT_NEAR(site_outcome(late, 2.0, 7200.0, 0.0).emissions_kg_co2e, 0.5, 1e-12);
  // The last row holds after its time: 04:00 + 2 h = 1 h x 300 + 1 h x 50.
  SiteSpec end = site_with({{"site.carbon_intensity_file", csv}, {"site.start_time", "2024-01-01T04:00:00Z"}});
  EXPECT_NEAR(site_outcome(end, 2.0, 7200.0, 0.0).emissions_kg_co2e, 0.35, 1e-12);
  // Zero runtime: the intensity at the start.
  EXPECT_DOUBLE_EQ(end.mean_intensity_g_per_kwh(0.0), 300.0);
  fs::remove(csv);
}

TEST(Site, BadInputIsAnInputError) {
  EXPECT_THROW(site_with({{"site.pue", "0.9"}}), InputError);
  EXPECT_THROW(site_with({{"site.pue", "-1"}}), InputError);
  EXPECT_THROW(site_with({{"site.carbon_intensity", "-5 g/kWh"}}), InputError);
  EXPECT_THROW(site_with({{"site.energy_price", "-0.1"}}), InputError);
  EXPECT_THROW(site_with({{"site.start_time", "noon"}}), InputError);
  std::string csv = write_csv("ok.csv", "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,100\n");
  // A series needs the start time, and no constant beside it; the start is inside the series.
  EXPECT_THROW(site_with({{"site.carbon_intensity_file", csv}}), InputError);
  EXPECT_THROW(site_with({{"site.carbon_intensity_file", csv}, {"site.carbon_intensity", "400 g/kWh"}, {"site.start_time", "2024-01-01T00:00:00Z"}}), InputError);
  EXPECT_THROW(site_with({{"site.carbon_intensity_file", csv}, {"site.start_time", "2023-12-31T23:00:00Z"}}), InputError);
  EXPECT_THROW(site_with({{"site.carbon_intensity_file", csv + ".missing"}, {"site.start_time", "2024-01-01T00:00:00Z"}}), InputError);
  fs::remove(csv);
}

TEST(Site, MalformedCsvNamesFileAndLine) {
  auto expect_error = [](const std::string& name, const std::string& text, int line, const std::string& what) {
    std::string csv = write_csv(name, text);
    try {
      load_intensity_csv(csv);
      ADD_FAILURE() << name << ": no error";
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.line(), line) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(csv + ":" + std::to_string(line) + ": ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
    fs::remove(csv);
  };
  expect_error("hdr.csv", "time,ci\n2024-01-01T00:00:00Z,100\n", 1, "expected the header");
  expect_error("val.csv", "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,abc\n", 2, "not a carbon intensity");
  expect_error("neg.csv", "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,-3\n", 2, "outside");
  expect_error("time.csv", "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,1\n01/02/2024,2\n", 3, "ISO 8601");
  expect_error("order.csv", "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T01:00:00Z,1\n2024-01-01T00:00:00Z,2\n", 3, "strictly increasing");
  expect_error("fields.csv", "timestamp,carbon_intensity_g_per_kwh\n2024-01-01T00:00:00Z,1,2\n", 2, "two fields");
  expect_error("empty.csv", "timestamp,carbon_intensity_g_per_kwh\n", 1, "no rows");
  // CRLF line ends and comments are fine.
  std::string ok = write_csv("crlf.csv", "# from the grid operator\r\ntimestamp, carbon_intensity_g_per_kwh\r\n2024-01-01T00:00:00Z, 120.5\r\n");
  auto rows = load_intensity_csv(ok);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].g_per_kwh, 120.5);
  fs::remove(ok);
}

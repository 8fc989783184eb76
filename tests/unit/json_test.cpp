// The JSON writer: doubles round-trip exactly, order is kept, strings are escaped, misuse throws.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "sim/core/errors.hpp"
#include "sim/core/json.hpp"
#include "sim/core/rng.hpp"

using namespace ddpsim;

TEST(Json, DoublesReadBackToTheSameBits) {
  Rng rng(5, 2);
  JsonWriter j;
  j.begin_array();
  std::vector<double> values = {0.1, 1.0 / 3.0, 2.0279408797844445, 1e-300, 6.02214076e23, -0.0, 123456789.123456789};
  for (int i = 0; i < 1000; ++i) values.push_back(std::exp(40.0 * (rng.uniform() - 0.5)) * (rng.uniform() < 0.5 ? -1 : 1));
  for (double v : values) j.value("", v);
  j.end_array();
  auto back = nlohmann::json::parse(j.str());
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(back[i].get<double>(), values[i]) << i;
  EXPECT_EQ(JsonWriter::number(0.1), "0.1");  // shortest form, not 0.10000000000000001
  EXPECT_EQ(JsonWriter::number(std::numeric_limits<double>::quiet_NaN()), "null");
}

TEST(Json, ObjectsKeepInsertionOrderAndStringsAreEscaped) {
  JsonWriter j;
  j.begin_object().value("z", 1LL).value("a", "line\nbreak \"quoted\" \x01").begin_object("m").end_object().null("n").value("t", true).end_object();
  EXPECT_EQ(j.str(), "{\n  \"z\": 1,\n  \"a\": \"line\\nbreak \\\"quoted\\\" \\u0001\",\n  \"m\": {},\n  \"n\": null,\n  \"t\": true\n}\n");
  JsonWriter compact(false);
  compact.begin_array().value("", 1LL).value("", 2.5).end_array();
  EXPECT_EQ(compact.str(), "[1,2.5]");
}

TEST(Json, MisuseIsAnInternalError) {
  JsonWriter j;
  j.begin_object();
  EXPECT_THROW(j.str(), ModelError);  // unclosed
  EXPECT_THROW(j.end_array(), ModelError);
  j.end_object();
  EXPECT_THROW(j.begin_object(), ModelError);  // a second document
}

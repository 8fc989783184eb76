#pragma once
// Shared option parsing of the ddpsim subcommands (Boost.Program_options).
#include <boost/program_options.hpp>

#include <string>
#include <vector>

namespace ddpsim::cli {

namespace po = boost::program_options;

/// Parses `args` against `desc` without abbreviations; an unknown option is an InputError with a
/// "did you mean" hint, any other parse failure an InputError with Boost's message.
po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc,
                        const po::positional_options_description* pos = nullptr);

/// Parses a positive integer flag value; InputError naming `flag` otherwise.
long long parse_positive(const std::string& flag, const std::string& text);

}  // namespace ddpsim::cli

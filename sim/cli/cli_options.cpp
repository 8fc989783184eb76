#include "sim/cli/cli_options.hpp"

#include "sim/core/errors.hpp"
#include "sim/core/limits.hpp"

namespace ddpsim::cli {

namespace {
std::vector<std::string> option_names(const po::options_description& desc) {
  std::vector<std::string> out;
  for (const auto& o : desc.options()) out.push_back("--" + o->long_name());
  return out;
}
}  // namespace

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& desc,
                        const po::positional_options_description* pos) {
  po::variables_map vm;
  try {
    // No abbreviations: '--gpu' must not silently mean '--gpus'.
    auto parser = po::command_line_parser(args).options(desc).style(po::command_line_style::default_style &
                                                                    ~po::command_line_style::allow_guessing);
    // Without positional arguments declared, a stray word is an error, not silently ignored.
    po::positional_options_description none;
    parser.positional(pos ? *pos : none);
    po::store(parser.run(), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::string name = e.get_option_name();
    throw InputError("unknown option " + quote_user(name) + did_you_mean(name, option_names(desc)));
  } catch (const po::too_many_positional_options_error&) {
    std::string stray;
    for (const auto& a : args) {
      if (!a.empty() && a[0] != '-') stray = a;
    }
    throw InputError("unexpected argument " + quote_user(stray) + " (options start with --; see --help)");
  } catch (const po::error& e) {
    throw InputError(escape_controls(e.what()));
  }
  return vm;
}

long long parse_positive(const std::string& flag, const std::string& text) {
  std::size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != text.size() || text.empty() || v <= 0) {
    throw InputError(flag + " must be a positive integer (got " + quote_user(text) + ")");
  }
  return v;
}

}  // namespace ddpsim::cli

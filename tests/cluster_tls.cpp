// Black-box tests of a tmx cluster over TLS and of its pings: a TLS agent
// runs tasks and a plain one is refused; a frozen (SIGSTOP) agent or server
// is noticed within 5 s, TLS or not, and the cluster heals after SIGCONT;
// the cluster secret and the API token appear in no log, reply, config
// dump or store dump.
#define BOOST_TEST_MODULE cluster_tls
#include <boost/test/unit_test.hpp>

#include "tests/cluster_fixture.hpp"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace tmx::test;

namespace {

/// What a shell command printed (stdout and stderr) and its exit status.
struct command_output {
  int status = -1;
  std::string text;
};

command_output run_command(const std::string& command) {
  command_output out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
    out.text.append(buf, n);
  int raw = ::pclose(pipe);
  out.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

/// How often `part` occurs in `text`.
size_t occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size()))
    ++n;
  return n;
}

/// A throwaway CA and a certificate for the server and one for the agents,
/// signed by it: made with the openssl tool in a temp dir of their own,
/// removed after the test.
class certificates {
public:
  certificates() : dir_(make_temp_dir()) {
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
       "-nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=tmx-test-ca");
    for (const char* who : {"server", "agent"}) {
      std::string name = who;
      sh("printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,"
         "clientAuth\\n' > ext.cnf");
      sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
         "-keyout "
         + name + ".key -out " + name + ".csr -subj /CN=tmx-test-" + name);
      sh("openssl x509 -req -in " + name
         + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out " + name
         + ".pem -extfile ext.cnf");
    }
  }

  ~certificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  certificates(const certificates&) = delete;
  certificates& operator=(const certificates&) = delete;

  /// The openssl.* options of the server ("server") or an agent ("agent").
  options of(const std::string& who) const {
    return {{"openssl.certificate", (dir_ / (who + ".pem")).string()},
            {"openssl.key", (dir_ / (who + ".key")).string()},
            {"openssl.cafile", (dir_ / "ca.pem").string()}};
  }

private:
  void sh(const std::string& command) const {
    auto r = run_command("cd '" + dir_.string() + "' && " + command);
    BOOST_REQUIRE_MESSAGE(r.status == 0, command << ":\n" << r.text);
  }

  std::filesystem::path dir_;
};

/// The options that leave an agent of a TLS cluster without TLS.
const options no_tls{{"openssl.certificate", "\"\""},
                     {"openssl.key", "\"\""},
                     {"openssl.cafile", "\"\""}};

/// A cluster whose server and agents speak TLS, or plain TCP.
struct secured {
  explicit secured(bool tls)
    : c(tls ? certs.of("server") : options{},
        tls ? certs.of("agent") : options{}),
      mode(tls ? "TLS" : "plain") {}

  certificates certs;
  cluster c;
  std::string mode;
};

/// Waits until the server has heard a ping of node `name` since it
/// registered: a freeze then starts from the steady state.
void wait_for_a_ping(const cluster& c, const std::string& name) {
  auto since = field(c.node(name), "connected_since");
  require_by(steady::now() + 5s, "a ping of " + name, [&] {
    auto seen = field(c.node(name), "last_seen");
    return !seen.empty() && seen != since;
  });
}

/// A cluster (TLS or plain) whose agent alpha runs a task (`run`) on
/// alpha-0001 and has pinged the server since it registered: a freeze then
/// starts from the steady state.
struct alpha_running : secured {
  alpha_running(bool tls, int devices, const std::string& duration)
    : secured(tls), alpha(c.join("alpha", devices, duration)),
      run(c.create(serial_of("alpha", 1))),
      since(field(c.node("alpha"), "connected_since")) {
    c.wait_status(run, running);
    wait_for_a_ping(c, "alpha");
  }

  void freeze_and_thaw_agent();
  void freeze_and_thaw_server();

  agent_process& alpha;
  uint64_t run;
  std::string since; // connected_since of alpha's registration
};

/// Freezes alpha and checks that the server has it offline, its task
/// failed, within 5 s; then lets it go on and checks that it registers
/// again and runs a new task.
void alpha_running::freeze_and_thaw_agent() {
  auto t0 = steady::now();
  alpha.signal(SIGSTOP);
  require_by(t0 + 5s, "the frozen agent offline",
             [&] { return field(c.node("alpha"), "state") == "offline"; });
  BOOST_TEST_MESSAGE(mode << " agent frozen: offline after "
                          << seconds(steady::now() - t0) << " s");
  require_by(t0 + 5s, "its running task failed",
             [&] { return c.status(run) == failed; });
  check_task(c, run, failed, host_lost, "alpha");
  BOOST_TEST(field(c.device(serial_of("alpha", 2)), "state") == "offline");
  BOOST_TEST(contains(c.server().log(), "node 'alpha' lost: no ping for"),
             c.server().log());

  auto t1 = steady::now();
  alpha.signal(SIGCONT);
  c.wait_serving("alpha", 2);
  BOOST_TEST_MESSAGE(mode << " agent thawed: serving again after "
                          << seconds(steady::now() - t1) << " s");
  BOOST_TEST(field(c.node("alpha"), "connected_since") != since);
  BOOST_TEST(contains(alpha.log(), "lost the server"), alpha.log());
  auto next = c.create(serial_of("alpha", 1));
  c.wait_status(next, completed);
  check_task(c, next, completed, "", "alpha");
  BOOST_TEST(c.status(run) == failed); // not run again
}

/// Freezes the server under alpha and checks that alpha notices within 5 s
/// and ends its run; after SIGCONT alpha registers again and the server has
/// failed the run.
void alpha_running::freeze_and_thaw_server() {
  // No HTTP while the server is stopped: only the agent's log is read.
  auto t0 = steady::now();
  ::kill(c.server().pid(), SIGSTOP);
  bool noticed = wait_until(
    [&] {
      return contains(alpha.log(), "lost the server (no answer to pings");
    },
    5s);
  auto took = steady::now() - t0;
  bool ended = wait_until(
    [&] { return contains(alpha.log(), "ending 1 runs"); }, 5s);
  auto log = alpha.log();
  ::kill(c.server().pid(), SIGCONT);
  BOOST_REQUIRE_MESSAGE(noticed, "the agent did not notice the frozen server "
                                 "within 5 s:\n"
                                   << log);
  BOOST_TEST_MESSAGE(mode << " server frozen: the agent noticed after "
                          << seconds(took) << " s");
  BOOST_TEST(ended, log);

  auto t1 = steady::now();
  require_by(t1 + 30s, "alpha registered again", [&] {
    return occurrences(alpha.log(), "registered with the server") >= 2;
  });
  c.wait_serving("alpha", 1);
  BOOST_TEST_MESSAGE(mode << " server thawed: alpha serving again after "
                          << seconds(steady::now() - t1) << " s");
  c.wait_status(run, failed, 10s);
  check_task(c, run, failed, host_lost, "alpha");
  auto next = c.create(serial_of("alpha", 1));
  c.wait_status(next, running);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_tls_agent_runs_tasks_and_a_plain_agent_is_refused) {
  secured s(true);
  auto& c = s.c;
  BOOST_TEST(contains(c.server().log(), "open for tmx-agent (TLS)"),
             c.server().log());
  c.join("secure", 2, "200ms");
  for (auto id : c.run_twice({serial_of("secure", 1), serial_of("secure", 2)}))
    check_task(c, id, completed, "", "secure");

  auto& plain = c.launch("plain", 2, "200ms", no_tls);
  require_by(steady::now() + 15s, "the plain agent failed twice", [&] {
    return occurrences(plain.log(), "cannot reach the server") >= 2;
  });
  BOOST_TEST(!contains(plain.log(), "registered with the server"), plain.log());
  BOOST_TEST(!plain.wait_exit(0s)); // it keeps trying, as for a server down
  BOOST_TEST(c.node("plain").IsNull());
  BOOST_TEST(c.device(serial_of("plain", 1)).IsNull());
  auto nodes = c.get("/api/v1/node", "nodes");
  BOOST_TEST((nodes.IsArray() && nodes.Size() == 1u), to_json(nodes));
  BOOST_TEST(c.serving("secure", 2));
}

BOOST_AUTO_TEST_CASE(a_frozen_tls_agent_is_lost_within_5s_and_comes_back) {
  alpha_running(true, 2, "3s").freeze_and_thaw_agent();
}

BOOST_AUTO_TEST_CASE(a_frozen_plain_agent_is_lost_within_5s_and_comes_back) {
  alpha_running(false, 2, "3s").freeze_and_thaw_agent();
}

BOOST_AUTO_TEST_CASE(agents_notice_a_frozen_tls_server_and_register_again) {
  alpha_running(true, 1, "30s").freeze_and_thaw_server();
}

BOOST_AUTO_TEST_CASE(agents_notice_a_frozen_plain_server_and_register_again) {
  alpha_running(false, 1, "30s").freeze_and_thaw_server();
}

// -- secrets ------------------------------------------------------------------

namespace {

/// A text no program prints unless it was handed it.
std::string distinctive(const std::string& what) {
  std::random_device rd;
  std::string out = "tmx-" + what + "-";
  for (int i = 0; i < 24; ++i)
    out += "0123456789abcdef"[rd() % 16];
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(secrets_stay_out_of_logs_replies_and_the_store) {
  const auto token = distinctive("token");
  const auto cluster_secret = distinctive("secret");
  const auto wrong = distinctive("wrong");
  cluster c({{"http.token", token}, {"cluster.secret", cluster_secret}},
            {{"cluster.secret", cluster_secret}});
  // Everything a program or the API said, by where it came from.
  std::vector<std::pair<std::string, std::string>> said;
  auto node_reply = [&] {
    auto r = c.send("GET", "/api/v1/node");
    BOOST_TEST(r.code() == 0, r.text);
    said.emplace_back("GET /api/v1/node", r.text);
  };

  c.join("alpha", 1, "200ms");
  node_reply();
  auto id = c.create(serial_of("alpha", 1));
  c.wait_status(id, completed);
  auto& intruder = c.launch("intruder", 1, "200ms",
                            {{"cluster.secret", wrong}});
  auto status = intruder.wait_exit(10s);
  BOOST_REQUIRE_MESSAGE(status, "the refused agent did not exit");
  BOOST_TEST(*status == 1);
  BOOST_TEST(contains(intruder.log(), "refused: wrong cluster secret"));
  node_reply();

  auto port = c.server().port();
  for (auto& bearer : {std::string(), wrong, token + "x", cluster_secret}) {
    headers h;
    if (!bearer.empty())
      h.emplace("Authorization", "Bearer " + bearer);
    auto r = http_request(port, "GET", "/api/v1/node", {}, h);
    BOOST_TEST(r.status == 401, r.text);
    said.emplace_back("401 reply", r.text);
  }
  said.emplace_back("404 reply", c.send("GET", "/api/v1/task/999999").text);
  said.emplace_back("400 reply", c.send("POST", "/api/v1/task", "{").text);

  // The programs' own echo of their configuration, and of a bad argument.
  auto in_dir = "cd '" + c.server().dir().string() + "' && ";
  for (std::string program : {TMX_SERVER_BINARY, TMX_AGENT_BINARY}) {
    auto token_option = contains(program, "tmx-server")
                          ? " --http.token=" + token
                          : std::string();
    auto r = run_command(in_dir + program + " --dump-config" + token_option
                         + " --cluster.secret=" + cluster_secret);
    BOOST_TEST(contains(r.text, "(hidden)"), r.text);
    said.emplace_back(program + " --dump-config", r.text);
    r = run_command(in_dir + program + " --cluster.secrets=" + cluster_secret);
    BOOST_TEST(r.status == 1, r.text);
    said.emplace_back(program + " with a misspelt option", r.text);
  }

  BOOST_REQUIRE_EQUAL(c.server().terminate(), 0);
  auto dump = run_command(std::string(TMXCTL_BINARY) + " db dump --data '"
                          + c.server().data_dir().string() + "'");
  BOOST_TEST(dump.status == 0, dump.text);
  BOOST_TEST(contains(dump.text, serial_of("alpha", 1)), dump.text);
  said.emplace_back("tmxctl db dump", dump.text);
  for (auto& entry :
       std::filesystem::recursive_directory_iterator(c.server().dir()))
    if (entry.is_regular_file())
      said.emplace_back(entry.path().string(), file_text(entry.path()));

  for (auto& [where, text] : said)
    BOOST_TEST_CONTEXT(where) {
      BOOST_TEST(!contains(text, token));
      BOOST_TEST(!contains(text, cluster_secret));
      BOOST_TEST(!contains(text, wrong));
    }
}

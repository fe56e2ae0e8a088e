#include "launcher/secrets.h"

#include <gtest/gtest.h>

#include "launcher/spec/load.h"
#include "tests/fakes/fake_world.h"

namespace mlaunch {
namespace {

World Fake(std::map<std::string, std::string> files, std::map<std::string, std::string> env) {
  return FakeWorld(std::move(files), std::move(env));
}

constexpr const char* kSpec = R"(version: 1
framework: {principal: ops, secret_file: ops.secret}
tasks:
  - name: app
    command: run
    env:
      DB_PASSWORD: {from_file: db.secret, secret: true}
      API_TOKEN: {from_env: TOKEN, secret: true}
      PLAIN: visible
)";

TEST(Secrets, ReadsSecretEnvAndThePrincipalsSecretFromTheSpecsDirectory) {
  spec::LoadResult r = spec::Load(kSpec, "specs/app.yaml");
  ASSERT_TRUE(r.diagnostics.ok());
  Diagnostics d("specs/app.yaml");
  RunSecrets s = ReadSecrets(
      r.spec,
      Fake({{"specs/db.secret", "hunter2\n"}, {"specs/ops.secret", "pw\n"}}, {{"TOKEN", "t0k"}}),
      "", d);
  EXPECT_TRUE(d.ok());
  EXPECT_EQ(s.env.at("DB_PASSWORD"), "hunter2");
  EXPECT_EQ(s.env.at("API_TOKEN"), "t0k");
  EXPECT_FALSE(s.env.count("PLAIN"));
  EXPECT_EQ(s.principal, "pw");
}

TEST(Secrets, TheFlagWinsThenTheSpecThenTheEnvironment) {
  spec::LoadResult r = spec::Load("version: 1\ntasks: [{name: a, command: x}]\n", "a.yaml");
  Diagnostics d("a.yaml");
  World w = Fake({{"/run/flag.secret", "from-flag"}}, {{"MESOS_LAUNCH_SECRET", "from-env"}});
  EXPECT_EQ(ReadSecrets(r.spec, w, "/run/flag.secret", d).principal, "from-flag");
  EXPECT_EQ(ReadSecrets(r.spec, w, "", d).principal, "from-env");
  EXPECT_TRUE(d.ok());
}

TEST(Secrets, MissingSecretsAreErrorsThatNeverShowAValue) {
  spec::LoadResult r = spec::Load(kSpec, "specs/app.yaml");
  Diagnostics d("specs/app.yaml");
  RunSecrets s = ReadSecrets(r.spec, Fake({{"specs/ops.secret", "pw"}}, {}), "", d);
  EXPECT_EQ(d.error_count(), 2);
  std::string text;
  for (const Diagnostic& diagnostic : d.Sorted()) text += Render(diagnostic);
  EXPECT_NE(text.find("specs/app.yaml:7:32: error: tasks[app].env.DB_PASSWORD.from_file: cannot "
                      "read the secret file 'specs/db.secret'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("the secret variable 'TOKEN' is not set"), std::string::npos) << text;
  EXPECT_EQ(text.find("pw"), std::string::npos);
}

TEST(Secrets, SecretsThatAreNotUtf8AreErrorsThatNeverShowTheValue) {
  spec::LoadResult r = spec::Load(kSpec, "specs/app.yaml");
  Diagnostics d("specs/app.yaml");
  RunSecrets s = ReadSecrets(
      r.spec,
      Fake({{"specs/db.secret", "pa\xffss\n"}, {"specs/ops.secret", "pw"}}, {{"TOKEN", "t\xc3"}}),
      "", d);
  EXPECT_EQ(d.error_count(), 2);
  EXPECT_FALSE(s.env.count("DB_PASSWORD"));
  EXPECT_FALSE(s.env.count("API_TOKEN"));
  std::string text;
  for (const Diagnostic& diagnostic : d.Sorted()) text += Render(diagnostic);
  EXPECT_NE(text.find("the secret file 'specs/db.secret' is not UTF-8 text (byte 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("the secret variable 'TOKEN' is not UTF-8 text (byte 1)"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("pa"), std::string::npos);
}

}  // namespace
}  // namespace mlaunch

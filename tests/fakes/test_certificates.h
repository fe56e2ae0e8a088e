// TestCertificates: throwaway PKI for HTTPS tests, made once per test
// program with the `openssl` command-line tool (Debian package `openssl`)
// in a temporary directory that is removed when the program exits.
//
//   ca_file          a CA certificate (PEM)
//   server_cert/key  a server certificate for 127.0.0.1 (subjectAltName
//                    IP:127.0.0.1 and DNS:localhost), signed by that CA,
//                    and its private key
//   other_ca_file    a second CA, unrelated to the server
//
// Keys are EC P-256, so making all of this takes milliseconds.
#ifndef MLAUNCH_TESTS_FAKES_TEST_CERTIFICATES_H_
#define MLAUNCH_TESTS_FAKES_TEST_CERTIFICATES_H_

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/fakes/temp_dir.h"

namespace mlaunch {

struct TestCertificates {
  std::string dir;
  std::string ca_file;
  std::string server_cert;
  std::string server_key;
  std::string other_ca_file;
  std::string error;  // empty when everything above was made

  // The certificates of this test program (made on first use, removed at
  // exit).
  static const TestCertificates& Get();

 private:
  static TestCertificates Make(const std::string& dir) {
    TestCertificates c;
    c.dir = dir;
    const std::string d = c.dir + "/";
    c.ca_file = d + "ca.pem";
    c.server_cert = d + "server.pem";
    c.server_key = d + "server.key";
    c.other_ca_file = d + "other-ca.pem";
    std::ofstream(d + "server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                    << "basicConstraints=CA:FALSE\n"
                                    << "extendedKeyUsage=serverAuth\n";
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    const std::string log = d + "openssl.log";
    const std::string steps[] = {
        "openssl req -x509" + key + " -keyout " + d + "ca.key -out " + c.ca_file +
            " -days 2 -subj '/CN=mesos-launch test CA'",
        "openssl req -x509" + key + " -keyout " + d + "other-ca.key -out " + c.other_ca_file +
            " -days 2 -subj '/CN=mesos-launch other test CA'",
        "openssl req" + key + " -keyout " + c.server_key + " -out " + d +
            "server.csr -subj '/CN=127.0.0.1'",
        "openssl x509 -req -in " + d + "server.csr -CA " + c.ca_file + " -CAkey " + d +
            "ca.key -CAcreateserial -days 2 -extfile " + d + "server.ext -out " + c.server_cert,
    };
    for (const std::string& step : steps) {
      if (std::system((step + " >>" + log + " 2>&1").c_str()) != 0) {
        std::ifstream in(log);
        std::stringstream text;
        text << in.rdbuf();
        c.error = "`" + step + "` failed (is the openssl package installed?): " + text.str();
        return c;
      }
    }
    return c;
  }
};

inline const TestCertificates& TestCertificates::Get() {
  struct Owner {
    Owner() : certificates(Make(dir.path())) {}
    const testing::TempDir dir{"mlaunch-certs"};
    TestCertificates certificates;
  };
  static const Owner owner;
  return owner.certificates;
}

}  // namespace mlaunch

#endif  // MLAUNCH_TESTS_FAKES_TEST_CERTIFICATES_H_

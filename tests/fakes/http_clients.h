// The two HttpClient implementations as a GoogleTest type list, for the
// suites that hold both to one contract (HttpClientContract, TlsClient):
//   TYPED_TEST_SUITE(Suite, testing::HttpClients, testing::HttpClientNames);
// names the instances Suite/Curl and Suite/Beast.
#ifndef MLAUNCH_TESTS_FAKES_HTTP_CLIENTS_H_
#define MLAUNCH_TESTS_FAKES_HTTP_CLIENTS_H_

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "common/beast_http_client.h"
#include "common/curl_http_client.h"

namespace mlaunch::testing {

using HttpClients = ::testing::Types<CurlHttpClient, BeastHttpClient>;

class HttpClientNames {
 public:
  template <typename Client>
  static std::string GetName(int) {
    return std::is_same_v<Client, CurlHttpClient> ? "Curl" : "Beast";
  }
};

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_FAKES_HTTP_CLIENTS_H_

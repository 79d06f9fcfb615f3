# ci-warcio.sh: source it from .ci/run to run store/warc's warcio test.
#
#	. store/warc/testdata/ci-warcio.sh && ci_warcio
#
# ci_warcio installs warcio (pinned) with npm into a temporary directory
# and exports CRAWL_TEST_WARCIO, which TestWarcio reads. Without node and
# npm it says so and leaves CRAWL_TEST_WARCIO unset: the test then skips.
CI_WARCIO_VERSION=2.4.11

ci_warcio() {
  if [ -n "${CRAWL_TEST_WARCIO:-}" ]; then
    echo "ci: CRAWL_TEST_WARCIO=$CRAWL_TEST_WARCIO (given)"
    return 0
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "ci: no node/npm: store/warc's warcio test will skip"
    return 0
  fi
  local dir
  dir=$(mktemp -d)
  if ! (cd "$dir" && npm init -y >/dev/null 2>&1 &&
    npm install --silent --no-audit --no-fund --save-exact "warcio@$CI_WARCIO_VERSION" >/dev/null); then
    echo "ci: npm install warcio@$CI_WARCIO_VERSION failed"
    return 1
  fi
  export CRAWL_TEST_WARCIO="$dir"
  echo "ci: CRAWL_TEST_WARCIO=$CRAWL_TEST_WARCIO (warcio $CI_WARCIO_VERSION)"
}

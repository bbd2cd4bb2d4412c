package store

import (
	"strings"
	"testing"
)

// TestRedisURLForms: each URL form reaches the kind of deployment it names,
// with its addresses, database, master, credentials and TLS.
func TestRedisURLForms(t *testing.T) {
	type want struct {
		kind, addrs, db, master, user, pass, sentinelPass string
		tls, insecure                                     bool
	}
	for _, c := range []struct {
		url  string
		want want
	}{
		{"redis://127.0.0.1:6379/2", want{kind: "single", addrs: "127.0.0.1:6379", db: "2"}},
		{"redis://localhost", want{kind: "single", addrs: "localhost:6379", db: "0"}},
		{"redis://u:p%40ss@h:1/0?dial_timeout=3s", want{kind: "single", addrs: "h:1", db: "0", user: "u", pass: "p@ss"}},
		{"rediss://cache.example.com:6380", want{kind: "single", addrs: "cache.example.com:6380", db: "0", tls: true}},
		{"rediss://h:6380?skip_verify=true", want{kind: "single", addrs: "h:6380", db: "0", tls: true, insecure: true}},
		{"redis://h1:7000?addr=h2:7001&addr=h3:7002", want{kind: "cluster", addrs: "h1:7000,h2:7001,h3:7002"}},
		{"redis+cluster://h1:7000,h2:7001", want{kind: "cluster", addrs: "h1:7000,h2:7001"}},
		{"rediss+cluster://:secret@cfg.example.com?skip_verify=1", want{kind: "cluster", addrs: "cfg.example.com:6379", pass: "secret", tls: true, insecure: true}},
		{"redis+sentinel://s1:26379,s2/mymaster", want{kind: "sentinel", addrs: "s1:26379,s2:26379", db: "0", master: "mymaster"}},
		{"rediss+sentinel://app:pw@s1:5000/mymaster/3?sentinel_password=spw", want{kind: "sentinel", addrs: "s1:5000", db: "3", master: "mymaster", user: "app", pass: "pw", sentinelPass: "spw", tls: true}},
		{"redis+sentinel://[::1]:26379/m", want{kind: "sentinel", addrs: "[::1]:26379", db: "0", master: "m"}},
	} {
		tg, err := parseRedisURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		var got want
		switch {
		case tg.single != nil:
			o := tg.single
			got = want{kind: "single", addrs: o.Addr, db: itoa(o.DB), user: o.Username, pass: o.Password}
		case tg.cluster != nil:
			o := tg.cluster
			got = want{kind: "cluster", addrs: strings.Join(o.Addrs, ","), user: o.Username, pass: o.Password}
		default:
			o := tg.failover
			got = want{kind: "sentinel", addrs: strings.Join(o.SentinelAddrs, ","), db: itoa(o.DB), master: o.MasterName,
				user: o.Username, pass: o.Password, sentinelPass: o.SentinelPassword}
		}
		if tc := tg.tlsConfig(); tc != nil {
			got.tls, got.insecure = true, tc.InsecureSkipVerify
		}
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.url, got, c.want)
		}
		if strings.Contains(tg.shown, "p%40ss") || strings.Contains(tg.shown, "secret") || strings.Contains(tg.shown, "spw") {
			t.Errorf("%s: shown as %s, with a password", c.url, tg.shown)
		}
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestBadRedisURLs: a malformed URL is an error that names the wrong part
// and never shows the password.
func TestBadRedisURLs(t *testing.T) {
	for _, c := range []struct{ url, says string }{
		{"localhost:6379", "no scheme"},
		{"http://h:1", `scheme "http"`},
		{"redis+cluser://h:1", `scheme "redis+cluser"`},
		{"redis://u:hunter2@h:port/0", `host "h:port": port "port"`},
		{"redis://u:hunter2@h:99999", `port "99999"`},
		{"redis://u:hunter2@/0", "no host"},
		{"redis://h1:1,h2:2/0", "several hosts"},
		{"redis://u:hunter2@h:1/zero", `invalid database number: "zero"`},
		{"redis://h:1/0?dial_timout=1s", "unexpected option: dial_timout"},
		{"redis://h:1/0?skip_verify=true", "skip_verify: only a rediss URL"},
		{"rediss://h:1/0?skip_verify=maybe", `skip_verify="maybe"`},
		{"redis+cluster://h:1/3", `path "/3": a Redis Cluster has only database 0`},
		{"redis+cluster://h:1,,h:2", `host ""`},
		{"redis+sentinel://s:26379", `path "": want /MASTER`},
		{"redis+sentinel://s:26379/m/x", `database "x"`},
		{"redis+sentinel://s:26379/m/0/9", `path "/m/0/9"`},
		{"redis+sentinel://s:26379#mymaster", `fragment "mymaster"`},
		{"redis://u:hunter2@h:1/0?x=%zz", `query: invalid URL escape "%zz"`},
		{"redis://u:hunter2@h:1/0?password=hunter2", "unexpected option: password"},
	} {
		_, err := OpenRedis(c.url, RedisOptions{})
		if err == nil {
			t.Errorf("%s: no error", c.url)
			continue
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v; want it to say %q", c.url, err, c.says)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v: shows the password", c.url, err)
		}
	}
}

// TestRedisTLSNamesEachHost: one Redis is checked by the URL's host name;
// a cluster's nodes and a Sentinel's master, other hosts, each by its own
// (an empty ServerName, which crypto/tls fills in per connection).
func TestRedisTLSNamesEachHost(t *testing.T) {
	for url, want := range map[string]string{
		"rediss://cache.example.com:6380":                 "cache.example.com",
		"rediss+cluster://cfg.example.com:6379":           "",
		"rediss://h1:7000?addr=h2:7000":                   "",
		"rediss+sentinel://s1.example.com:26379/mymaster": "",
	} {
		tg, err := parseRedisURL(url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if got := tg.tlsConfig().ServerName; got != want {
			t.Errorf("%s: ServerName %q, want %q", url, got, want)
		}
	}
}

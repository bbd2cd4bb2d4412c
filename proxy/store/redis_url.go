package store

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// redisTarget is a parsed --store URL: the go-redis options for the one
// kind of deployment it names, and the URL to show (password masked).
type redisTarget struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
	shown    string
}

// parseRedisURL reads a Redis URL:
//
//	redis://[USER:PASSWORD@]HOST:PORT[/DB]       one Redis (rediss:// over TLS)
//	redis://HOST:PORT?addr=HOST2:PORT2&addr=...  a cluster (go-redis's form: any addr= makes one)
//	redis+cluster://HOST:PORT[,HOST2:PORT2...]   a cluster, also from one seed (rediss+cluster://)
//	redis+sentinel://HOST:PORT[,...]/MASTER[/DB] the master Sentinels name MASTER (rediss+sentinel://)
//
// A host without a port gets 6379 (26379 for a Sentinel). Query parameters are
// go-redis's (dial_timeout, pool_size, client_name, ...; see its ParseURL,
// ParseClusterURL and ParseFailoverURL), plus skip_verify=true (TLS without
// checking the certificate) in every form, and sentinel_username and
// sentinel_password for a Sentinel's own credentials (USER:PASSWORD is the
// master's). An error names the part of the URL that is wrong and never
// shows its password.
func parseRedisURL(raw string) (*redisTarget, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("no scheme: want redis://, rediss://, redis+cluster:// or redis+sentinel:// (see --help)")
	}
	base, mode, _ := strings.Cut(scheme, "+")
	if base != "redis" && base != "rediss" || (mode != "" && mode != "cluster" && mode != "sentinel") {
		return nil, fmt.Errorf("scheme %q: want redis, rediss, redis+cluster, rediss+cluster, redis+sentinel or rediss+sentinel", scheme)
	}
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	// Parse all but the host list with net/url: the path, the query and
	// the credentials' escapes. Its errors quote the URL, so only its
	// reason is kept.
	u, err := url.Parse(base + "://" + userinfo + "h" + tail)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%v", err)
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("fragment %q: a Redis URL has none (a Sentinel's master is the path: redis+sentinel://HOST:PORT/MASTER)", u.Fragment)
	}
	defaultPort := "6379"
	if mode == "sentinel" {
		defaultPort = "26379"
	}
	hosts, err := parseHosts(hostlist, defaultPort)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("query: %v", err)
	}
	shown := redactedURL(scheme, u, hostlist)
	insecure, err := takeBool(q, "skip_verify")
	if err != nil {
		return nil, err
	}
	if insecure && base != "rediss" {
		return nil, errors.New("skip_verify: only a rediss URL uses TLS")
	}
	if len(hosts) > 1 && mode == "" {
		return nil, fmt.Errorf("host list %q: several hosts make a cluster (redis+cluster://) or Sentinels (redis+sentinel://HOST,.../MASTER)", hostlist)
	}
	if mode == "" && q.Has("addr") {
		mode = "cluster"
	}
	t := &redisTarget{shown: shown}
	switch mode {
	case "":
		t.single, err = redis.ParseURL(rebuild(base, u, hosts[0], q))
	case "cluster":
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			return nil, fmt.Errorf("path %q: a Redis Cluster has only database 0", u.Path)
		}
		for _, h := range hosts[1:] {
			q.Add("addr", h)
		}
		u.Path = ""
		t.cluster, err = redis.ParseClusterURL(rebuild(base, u, hosts[0], q))
	case "sentinel":
		t.failover, err = parseSentinel(base, u, hosts, q)
	}
	if err != nil {
		return nil, err
	}
	if tc := t.tlsConfig(); tc != nil && t.single == nil {
		// go-redis names the first host for every connection; a cluster's
		// nodes and a Sentinel's master are other hosts, each checked by
		// the name it is dialled by (crypto/tls does that when it is empty).
		tc.ServerName = ""
	}
	if insecure {
		t.tlsConfig().InsecureSkipVerify = true
	}
	return t, nil
}

// parseSentinel reads a redis+sentinel URL: the path is /MASTER[/DB], the
// user info the master's credentials, sentinel_username and
// sentinel_password the Sentinels'.
func parseSentinel(base string, u *url.URL, hosts []string, q url.Values) (*redis.FailoverOptions, error) {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if parts[0] == "" || len(parts) > 2 {
		return nil, fmt.Errorf("path %q: want /MASTER or /MASTER/DB, the name the Sentinels know the master by", u.Path)
	}
	master := parts[0] // u.Path is unescaped already
	if len(parts) == 2 {
		if _, err := strconv.Atoi(parts[1]); err != nil {
			return nil, fmt.Errorf("database %q: not a number", parts[1])
		}
		q.Set("db", parts[1])
	}
	sentinelUser, sentinelPass := q.Get("sentinel_username"), q.Get("sentinel_password")
	q.Del("sentinel_username")
	q.Del("sentinel_password")
	if u.User != nil {
		q.Set("username", u.User.Username())
		if p, ok := u.User.Password(); ok {
			q.Set("password", p)
		}
	}
	q.Set("master_name", master)
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	v := *u
	v.User, v.Path = nil, ""
	o, err := redis.ParseFailoverURL(rebuild(base, &v, hosts[0], q))
	if err != nil {
		return nil, err
	}
	o.SentinelUsername, o.SentinelPassword = sentinelUser, sentinelPass
	return o, nil
}

// parseHosts splits a comma-separated host list, giving each host without
// a port the default one.
func parseHosts(list, defaultPort string) ([]string, error) {
	if list == "" {
		return nil, errors.New("no host: want HOST:PORT after the scheme, e.g. redis://127.0.0.1:6379/0")
	}
	var out []string
	for _, h := range strings.Split(list, ",") {
		hostport := h
		if !strings.HasPrefix(h, "[") && !strings.Contains(h, ":") || strings.HasSuffix(h, "]") {
			hostport = net.JoinHostPort(strings.Trim(h, "[]"), defaultPort)
		}
		host, port, err := net.SplitHostPort(hostport)
		if err != nil || host == "" {
			return nil, fmt.Errorf("host %q: want HOST:PORT", h)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("host %q: port %q is not a number from 1 to 65535", h, port)
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out, nil
}

// takeBool removes a boolean query parameter and returns its value.
func takeBool(q url.Values, name string) (bool, error) {
	if !q.Has(name) {
		return false, nil
	}
	v := q.Get(name)
	q.Del(name)
	switch v {
	case "true", "1", "":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q: want true or false", name, v)
}

// rebuild is u with host and query q, as go-redis's parsers read it.
func rebuild(base string, u *url.URL, host string, q url.Values) string {
	v := *u
	v.Scheme, v.Host, v.RawQuery = base, host, q.Encode()
	return v.String()
}

// redactedURL is the URL to show: the password and the query's passwords
// masked.
func redactedURL(scheme string, u *url.URL, hostlist string) string {
	v := *u
	v.Scheme, v.Host = scheme, hostlist
	q := v.Query()
	for _, k := range []string{"password", "sentinel_password"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	v.RawQuery = q.Encode()
	return v.Redacted()
}

// tlsConfig returns the TLS config of the target's options (nil without
// TLS).
func (t *redisTarget) tlsConfig() *tls.Config {
	switch {
	case t.single != nil:
		return t.single.TLSConfig
	case t.cluster != nil:
		return t.cluster.TLSConfig
	default:
		return t.failover.TLSConfig
	}
}

// userPassword and queryPassword find what maskURL masks.
var (
	userPassword  = regexp.MustCompile(`(://[^/?#@:]*:)[^/?#]*@`)
	queryPassword = regexp.MustCompile(`([?&](?:sentinel_)?password=)[^&#]*`)
)

// maskURL masks the passwords of a URL that may not parse, for errors.
func maskURL(raw string) string {
	return queryPassword.ReplaceAllString(userPassword.ReplaceAllString(raw, "${1}xxxxx@"), "${1}xxxxx")
}

// setTLS replaces the TLS config of the target's options.
func (t *redisTarget) setTLS(c *tls.Config) {
	switch {
	case t.single != nil:
		t.single.TLSConfig = c
	case t.cluster != nil:
		t.cluster.TLSConfig = c
	default:
		t.failover.TLSConfig = c
	}
}

package proxy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpscope/mcpscope/internal/tlstest"
	"github.com/mcpscope/mcpscope/proxy"
)

// TestUpstreamTLSConfigErrors gives UpstreamTLS the bad input a user
// does (a missing file, a file that is not PEM, a key for a CA, a key that
// does not match its certificate, half a pair): each is an error naming
// the flag and the file, never a config that fails later.
func TestUpstreamTLSConfigErrors(t *testing.T) {
	pki, other := tlstest.New(t), tlstest.New(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPEM, []byte("just some text\n"), 0o600)
	badCert := filepath.Join(dir, "bad.pem")
	os.WriteFile(badCert, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	both := filepath.Join(dir, "both.pem")
	certPEM, _ := os.ReadFile(pki.ClientCertFile)
	keyPEM, _ := os.ReadFile(pki.ClientKeyFile)
	os.WriteFile(both, append(certPEM, keyPEM...), 0o600)
	missing := filepath.Join(dir, "missing.pem")

	cases := []struct {
		name string
		c    proxy.UpstreamTLS
		want []string
	}{
		{"CA file missing", proxy.UpstreamTLS{CAFiles: []string{missing}}, []string{"--ca-cert", missing, "no such file"}},
		{"CA not PEM", proxy.UpstreamTLS{CAFiles: []string{notPEM}}, []string{"--ca-cert " + notPEM, "no PEM certificate"}},
		{"CA PEM not a certificate", proxy.UpstreamTLS{CAFiles: []string{badCert}}, []string{"--ca-cert " + badCert, "certificate 1"}},
		{"a key as CA", proxy.UpstreamTLS{CAFiles: []string{pki.ClientKeyFile}}, []string{"--ca-cert " + pki.ClientKeyFile, "PRIVATE KEY, not a certificate"}},
		{"client cert missing", proxy.UpstreamTLS{CertFile: missing, KeyFile: pki.ClientKeyFile}, []string{"--client-cert", "no such file"}},
		{"client key missing", proxy.UpstreamTLS{CertFile: pki.ClientCertFile, KeyFile: missing}, []string{"--client-key", "no such file"}},
		{"client cert not PEM", proxy.UpstreamTLS{CertFile: notPEM, KeyFile: pki.ClientKeyFile}, []string{"--client-cert " + notPEM, "no PEM certificate"}},
		{"client key not PEM", proxy.UpstreamTLS{CertFile: pki.ClientCertFile, KeyFile: notPEM}, []string{"--client-key " + notPEM, "no PEM private key"}},
		{"key of another certificate", proxy.UpstreamTLS{CertFile: pki.ClientCertFile, KeyFile: other.ClientKeyFile},
			[]string{"--client-key " + other.ClientKeyFile + " does not match --client-cert " + pki.ClientCertFile}},
		{"cert without its key", proxy.UpstreamTLS{CertFile: pki.ClientCertFile}, []string{"holds no private key", "--client-key FILE"}},
		{"key without its cert", proxy.UpstreamTLS{KeyFile: pki.ClientKeyFile}, []string{"--client-key needs --client-cert"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := c.c.Config()
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}

	// And what is right loads: the zero value is the transport's default,
	// a cert file holding its key needs no --client-key.
	if cfg, err := (proxy.UpstreamTLS{}).Config(); cfg != nil || err != nil {
		t.Errorf("zero value: %v, %v; want nil, nil", cfg, err)
	}
	cfg, err := proxy.UpstreamTLS{CAFiles: []string{pki.CAFile, other.CAFile}, CertFile: both}.Config()
	if err != nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil || cfg.InsecureSkipVerify {
		t.Errorf("a good config: %+v, %v", cfg, err)
	}
}

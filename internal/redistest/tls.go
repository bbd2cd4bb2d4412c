package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// StartTLS runs redis-server accepting only TLS connections, with a
// certificate for 127.0.0.1 issued by a CA made for the test, and returns
// its address and that CA's certificate file (PEM). It skips or fails as
// Start does, also when this redis-server was built without TLS.
func StartTLS(t testing.TB) (addr, caFile string) {
	t.Helper()
	s, _, err := startTLS(t)
	s = must(t, s, err)
	return s.addr, s.ca
}

// TryTLS is StartTLS that returns "", "" instead of skipping.
func TryTLS(t testing.TB) (addr, caFile string) {
	t.Helper()
	s, _, err := startTLS(t)
	s = try(t, s, err)
	return s.addr, s.ca
}

type tlsServer struct{ addr, ca string }

// certFiles are a server's certificate and key, and the CA's certificate
// that issued them (PEM files).
type certFiles struct{ ca, cert, key string }

// clientConfig trusts the CA, for a client of the servers.
func (c *certFiles) clientConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(c.ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}, nil
}

func startTLS(t testing.TB) (tlsServer, *certFiles, error) {
	certs, err := writeCerts(t.TempDir())
	if err != nil {
		return tlsServer{}, nil, err
	}
	addr, err := runTLS(t, certs.both)
	return tlsServer{addr, certs.both.ca}, &certs.both, err
}

// runTLS starts redis-server accepting only TLS with the certificate.
func runTLS(t testing.TB, c certFiles) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr, err := run(t, port, "--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir(),
		"--tls-cert-file", c.cert, "--tls-key-file", c.key, "--tls-ca-cert-file", c.ca, "--tls-auth-clients", "no")
	if err != nil && !errors.Is(err, errNoBinary) {
		err = fmt.Errorf("redis-server with TLS (a build without it rejects --tls-port): %w", err)
	}
	return addr, err
}

// testCerts are certificates one CA made for the test issued: for
// 127.0.0.1 and localhost (both), for the address 127.0.0.1 only (ip), and
// for the name localhost only (name).
type testCerts struct{ both, ip, name certFiles }

// writeCerts writes a CA's certificate and the certificates it issued
// (testCerts) with their keys, as PEM files in dir. They serve as client
// certificates too (a cluster node is a client on the cluster bus).
func writeCerts(dir string) (*testCerts, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mcpscope test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	ca := filepath.Join(dir, "ca.pem")
	if err := writePEM(ca, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	issue := func(name string, serial int64, ips []net.IP, dns []string) (certFiles, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return certFiles{}, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			IPAddresses: ips, DNSNames: dns,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return certFiles{}, err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return certFiles{}, err
		}
		c := certFiles{ca, filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")}
		if err := writePEM(c.cert, "CERTIFICATE", der); err != nil {
			return certFiles{}, err
		}
		return c, writePEM(c.key, "PRIVATE KEY", keyDER)
	}
	var certs testCerts
	if certs.both, err = issue("both", 2, loopback, []string{"localhost"}); err != nil {
		return nil, err
	}
	if certs.ip, err = issue("ip", 3, loopback, nil); err != nil {
		return nil, err
	}
	if certs.name, err = issue("name", 4, nil, []string{"localhost"}); err != nil {
		return nil, err
	}
	return &certs, nil
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

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

// certFiles are the PEM files writeCerts wrote.
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
	dir := t.TempDir()
	ca, cert, key, err := writeCerts(dir)
	if err != nil {
		return tlsServer{}, nil, err
	}
	port, err := freePort()
	if err != nil {
		return tlsServer{}, nil, err
	}
	addr, err := run(t, port, "--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no")
	if err != nil && !errors.Is(err, errNoBinary) {
		err = fmt.Errorf("redis-server with TLS (a build without it rejects --tls-port): %w", err)
	}
	if err != nil {
		return tlsServer{}, nil, err
	}
	return tlsServer{addr, ca}, &certFiles{ca, cert, key}, nil
}

// writeCerts writes a CA certificate and a server certificate (with its
// key) for 127.0.0.1 and localhost that the CA issued, as PEM files in dir.
func writeCerts(dir string) (ca, cert, key string, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mcpscope test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, // a cluster node is a client on the bus
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return "", "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return "", "", "", err
	}
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem")
	for _, f := range []struct {
		path, kind string
		der        []byte
	}{{ca, "CERTIFICATE", caDER}, {cert, "CERTIFICATE", srvDER}, {key, "PRIVATE KEY", keyDER}} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der}), 0o600); err != nil {
			return "", "", "", err
		}
	}
	return ca, cert, key, nil
}

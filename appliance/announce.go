package appliance

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/brutella/dnssd"
)

// announce makes the web interface findable as <host>.local over mDNS/DNS-SD
// and, on the appliance, prints where to open it on the serial console. An
// announcement that cannot start is logged; charging does not depend on it.
func (a *Appliance) announce(ctx context.Context, listen string) {
	_, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return
	}
	port, _ := strconv.Atoi(portStr)
	host := a.cfg.MDNSName
	urls := addressURLs(port)
	if host != "" {
		urls = append([]string{fmt.Sprintf("http://%s.local%s/", host, portSuffix(port))}, urls...)
	}
	line := "twcmanager: open " + strings.Join(urls, " or ") + " in a browser"
	a.log.Info(line)
	if a.cfg.Console != "" {
		if f, err := os.OpenFile(a.cfg.Console, os.O_WRONLY, 0); err == nil {
			_, _ = fmt.Fprintln(f, "\n"+line+"\n") // best effort: the console may not exist
			f.Close()
		}
	}
	if host == "" {
		return
	}
	sv, err := dnssd.NewService(dnssd.Config{Name: host, Type: "_http._tcp", Domain: "local", Host: host, Port: port,
		Text: map[string]string{"path": "/", "product": "twcmanager"}})
	if err == nil {
		var rp dnssd.Responder
		if rp, err = dnssd.NewResponder(); err == nil {
			if _, err = rp.Add(sv); err == nil {
				a.log.Info("announcing on the local network", "name", host+".local")
				err = rp.Respond(ctx)
			}
		}
	}
	if err != nil && ctx.Err() == nil {
		a.log.Warn("mDNS announcement failed; the appliance is reachable by its address", "err", err)
	}
}

func portSuffix(port int) string {
	if port == 80 {
		return ""
	}
	return ":" + strconv.Itoa(port)
}

// addressURLs are the http URLs of the machine's non-loopback IPv4
// addresses.
func addressURLs(port int) []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			out = append(out, "http://"+n.IP.String()+portSuffix(port)+"/")
		}
	}
	return out
}

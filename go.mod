module github.com/twcmanager/twcmanager

go 1.26.8

require (
	github.com/creack/pty v1.1.24
	go.bug.st/serial v1.8.0
)

require golang.org/x/sys v0.43.0 // indirect

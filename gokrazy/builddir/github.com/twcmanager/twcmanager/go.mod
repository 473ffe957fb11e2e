module gokrazy/build/github.com/twcmanager/twcmanager

go 1.26.8

replace github.com/twcmanager/twcmanager => ../../../../..

require github.com/twcmanager/twcmanager v0.0.0-00010101000000-000000000000

// Package tesla connects the appliance to Tesla cars through the Fleet API,
// either directly, with charging commands signed here by the app's own key,
// or through a Fleet-API-compatible command proxy. Client implements
// vehicle.API for both.
//
// Entry points: App.AuthURL and App.Exchange log the user in with their own
// developer app; NewAppKey, PublicKeyURL and EnrollURL set up the command
// key; New builds the Client. Tokens live in a TokenStore the appliance
// provides. Tesla's refresh tokens are single-use, so a renewed pair is saved
// before its access token is used, and concurrent callers share one renewal.
//
// Package teslatest is a fake Fleet API (and proxy) for tests.
package tesla

package teslatest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/carserver"
	"github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/signatures"
	universal "github.com/teslamotors/vehicle-command/pkg/protocol/protobuf/universalmessage"
)

// maxTTL is the furthest ahead a command may expire; cars refuse longer
// lives as a precaution against commands held back and replayed.
const maxTTL = time.Hour

// handleSigned is the signed_command endpoint: Tesla passes the message to
// the car and returns the car's answer, whatever it says, with a 200.
func (s *Server) handleSigned(w http.ResponseWriter, r *http.Request, _ *grant) {
	var body struct {
		Message []byte `json:"routable_message"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil || json.Unmarshal(raw, &body) != nil || len(body.Message) == 0 {
		writeError(w, http.StatusBadRequest, "routable_message missing or not base64")
		return
	}
	var msg universal.RoutableMessage
	if err := proto.Unmarshal(body.Message, &msg); err != nil {
		writeError(w, http.StatusBadRequest, "routable_message is not a RoutableMessage")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.carLocked(w, r)
	switch {
	case c == nil:
		return
	case c.Asleep:
		writeError(w, http.StatusRequestTimeout, asleepText)
		return
	case c.Legacy:
		writeError(w, http.StatusUnprocessableEntity, "vehicle does not support signed commands")
		return
	}
	reply, err := proto.Marshal(s.answerLocked(c, &msg))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "could not encode the car's answer")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"response": reply})
}

// answerLocked is the car receiving one message.
func (s *Server) answerLocked(c *car, msg *universal.RoutableMessage) *universal.RoutableMessage {
	dom := msg.GetToDestination().GetDomain()
	if dom != universal.Domain_DOMAIN_INFOTAINMENT && dom != universal.Domain_DOMAIN_VEHICLE_SECURITY {
		return fault(msg, dom, universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_DOMAINS)
	}
	d := c.domains[dom]
	if d == nil {
		var err error
		if d, err = newDomain(); err != nil {
			return fault(msg, dom, universal.MessageFault_E_MESSAGEFAULT_ERROR_INTERNAL)
		}
		c.domains[dom] = d
	}
	if req := msg.GetSessionInfoRequest(); req != nil {
		s.handshakes++
		return s.handshake(c, dom, d, msg, req.GetPublicKey())
	}
	return s.command(c, dom, d, msg)
}

// replyTo addresses a reply: back to the client's routing address, from
// the domain, carrying the request's UUID.
func replyTo(msg *universal.RoutableMessage, dom universal.Domain) *universal.RoutableMessage {
	return &universal.RoutableMessage{
		ToDestination: &universal.Destination{SubDestination: &universal.Destination_RoutingAddress{
			RoutingAddress: msg.GetFromDestination().GetRoutingAddress(),
		}},
		FromDestination: &universal.Destination{SubDestination: &universal.Destination_Domain{Domain: dom}},
		RequestUuid:     msg.GetUuid(),
	}
}

// fault is a protocol-level refusal.
func fault(msg *universal.RoutableMessage, dom universal.Domain, code universal.MessageFault_E) *universal.RoutableMessage {
	r := replyTo(msg, dom)
	r.SignedMessageStatus = &universal.MessageStatus{
		OperationStatus:    universal.OperationStatus_E_OPERATIONSTATUS_ERROR,
		SignedMessageFault: code,
	}
	return r
}

// withSessionInfo attaches the domain's session info, tagged under the
// client's key with the request UUID as challenge, so the client can
// resynchronise and retry.
func withSessionInfo(r *universal.RoutableMessage, vin string, d *domain, p *peer, k, challenge []byte) *universal.RoutableMessage {
	info, err := proto.Marshal(&signatures.SessionInfo{
		Counter:   p.counter,
		PublicKey: d.key.PublicKey().Bytes(),
		Epoch:     d.epoch,
		ClockTime: d.clock(),
		Status:    signatures.Session_Info_Status_SESSION_INFO_STATUS_OK,
	})
	if err != nil {
		return r
	}
	var m metadata
	m.add(signatures.Tag_TAG_SIGNATURE_TYPE, []byte{byte(signatures.SignatureType_SIGNATURE_TYPE_HMAC)})
	m.add(signatures.Tag_TAG_PERSONALIZATION, []byte(vin))
	m.add(signatures.Tag_TAG_CHALLENGE, challenge)
	r.Payload = &universal.RoutableMessage_SessionInfo{SessionInfo: info}
	r.SubSigData = &universal.RoutableMessage_SignatureData{SignatureData: &signatures.SignatureData{
		SigType: &signatures.SignatureData_SessionInfoTag{SessionInfoTag: &signatures.HMAC_Signature_Data{
			Tag: hmacOver(subkey(k, "session info"), &m, info),
		}},
	}}
	return r
}

// peerLocked finds what the domain knows of a client key, refusing keys
// the car does not have.
func (d *domain) peerLocked(c *car, pub []byte) (*peer, []byte, universal.MessageFault_E) {
	if !c.enrolled[hex.EncodeToString(pub)] {
		return nil, nil, universal.MessageFault_E_MESSAGEFAULT_ERROR_UNKNOWN_KEY_ID
	}
	k, err := sessionKey(d.key, pub)
	if err != nil {
		return nil, nil, universal.MessageFault_E_MESSAGEFAULT_ERROR_BAD_PARAMETER
	}
	p := d.peers[string(pub)]
	if p == nil {
		p = &peer{}
		d.peers[string(pub)] = p
	}
	return p, k, universal.MessageFault_E_MESSAGEFAULT_ERROR_NONE
}

// handshake answers a session-info request.
func (s *Server) handshake(c *car, dom universal.Domain, d *domain, msg *universal.RoutableMessage, pub []byte) *universal.RoutableMessage {
	p, k, code := d.peerLocked(c, pub)
	if code != universal.MessageFault_E_MESSAGEFAULT_ERROR_NONE {
		return fault(msg, dom, code)
	}
	return withSessionInfo(replyTo(msg, dom), c.VIN, d, p, k, msg.GetUuid())
}

// command verifies a signed command, carries it out, and answers.
func (s *Server) command(c *car, dom universal.Domain, d *domain, msg *universal.RoutableMessage) *universal.RoutableMessage {
	sig := msg.GetSignatureData()
	p, k, code := d.peerLocked(c, sig.GetSignerIdentity().GetPublicKey())
	if code != universal.MessageFault_E_MESSAGEFAULT_ERROR_NONE {
		return fault(msg, dom, code)
	}
	resync := func(code universal.MessageFault_E) *universal.RoutableMessage {
		return withSessionInfo(fault(msg, dom, code), c.VIN, d, p, k, msg.GetUuid())
	}
	var (
		epoch     []byte
		counter   uint32
		expiresAt uint32
		sigType   signatures.SignatureType
		tag       []byte
		auth      string
	)
	switch {
	case sig.GetHMAC_PersonalizedData() != nil:
		h := sig.GetHMAC_PersonalizedData()
		epoch, counter, expiresAt, tag = h.GetEpoch(), h.GetCounter(), h.GetExpiresAt(), h.GetTag()
		sigType, auth = signatures.SignatureType_SIGNATURE_TYPE_HMAC_PERSONALIZED, "hmac"
	case sig.GetAES_GCM_PersonalizedData() != nil:
		g := sig.GetAES_GCM_PersonalizedData()
		epoch, counter, expiresAt, tag = g.GetEpoch(), g.GetCounter(), g.GetExpiresAt(), g.GetTag()
		sigType, auth = signatures.SignatureType_SIGNATURE_TYPE_AES_GCM_PERSONALIZED, "gcm"
	default:
		return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_SIGNATURE)
	}
	if !bytes.Equal(epoch, d.epoch) {
		return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_INCORRECT_EPOCH)
	}
	// The metadata the client bound its command to, rebuilt from what
	// the car knows (domain, VIN, epoch) and what the message says.
	var m metadata
	m.add(signatures.Tag_TAG_SIGNATURE_TYPE, []byte{byte(sigType)})
	m.add(signatures.Tag_TAG_DOMAIN, []byte{byte(dom)})
	m.add(signatures.Tag_TAG_PERSONALIZATION, []byte(c.VIN))
	m.add(signatures.Tag_TAG_EPOCH, d.epoch)
	m.addUint32(signatures.Tag_TAG_EXPIRES_AT, expiresAt)
	m.addUint32(signatures.Tag_TAG_COUNTER, counter)
	if msg.GetFlags() > 0 {
		m.addUint32(signatures.Tag_TAG_FLAGS, msg.GetFlags())
	}
	payload := msg.GetProtobufMessageAsBytes()
	if auth == "hmac" {
		if !hmac.Equal(hmacOver(subkey(k, "authenticated command"), &m, payload), tag) {
			return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_SIGNATURE)
		}
	} else {
		gcm, err := newGCM(k)
		nonce := sig.GetAES_GCM_PersonalizedData().GetNonce()
		if err != nil || len(nonce) != gcm.NonceSize() {
			return fault(msg, dom, universal.MessageFault_E_MESSAGEFAULT_ERROR_IV_INCORRECT_LENGTH)
		}
		plain, err := gcm.Open(nil, nonce, append(bytes.Clone(payload), tag...), aadOf(&m))
		if err != nil {
			return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_SIGNATURE)
		}
		payload = plain
	}
	now := d.clock()
	switch {
	case expiresAt < now:
		return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_TIME_EXPIRED)
	case expiresAt-now > uint32(maxTTL/time.Second):
		return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_TIME_TO_LIVE_TOO_LONG)
	case !p.accept(counter):
		return resync(universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_TOKEN_OR_COUNTER)
	}
	if dom != universal.Domain_DOMAIN_INFOTAINMENT {
		// Locks and trunks are VCSEC's; the fake only charges.
		return fault(msg, dom, universal.MessageFault_E_MESSAGEFAULT_ERROR_INVALID_COMMAND)
	}
	reason := s.perform(c, dom, auth, payload)
	status := &carserver.ActionStatus{Result: carserver.OperationStatus_E_OPERATIONSTATUS_OK}
	if reason != "" {
		status = &carserver.ActionStatus{
			Result:       carserver.OperationStatus_E_OPERATIONSTATUS_ERROR,
			ResultReason: &carserver.ResultReason{Reason: &carserver.ResultReason_PlainText{PlainText: reason}},
		}
	}
	out, err := proto.Marshal(&carserver.Response{ActionStatus: status})
	if err != nil {
		return fault(msg, dom, universal.MessageFault_E_MESSAGEFAULT_ERROR_INTERNAL)
	}
	r := replyTo(msg, dom)
	if msg.GetFlags()&(1<<uint32(universal.Flags_FLAG_ENCRYPT_RESPONSE)) == 0 {
		r.Payload = &universal.RoutableMessage_ProtobufMessageAsBytes{ProtobufMessageAsBytes: out}
		return r
	}
	return encryptReply(r, c.VIN, dom, p, k, requestHash(dom, sigType, tag), out)
}

// requestHash identifies the request an encrypted reply answers: the
// signature type and the request's tag, cut to 16 bytes for VCSEC.
func requestHash(dom universal.Domain, t signatures.SignatureType, tag []byte) []byte {
	if dom == universal.Domain_DOMAIN_VEHICLE_SECURITY && len(tag) > 16 {
		tag = tag[:16]
	}
	return append([]byte{byte(t)}, tag...)
}

// encryptReply seals a reply's payload for clients that set
// FLAG_ENCRYPT_RESPONSE, as cars since 2024.38 do.
func encryptReply(r *universal.RoutableMessage, vin string, dom universal.Domain, p *peer, k, reqHash, plain []byte) *universal.RoutableMessage {
	p.replies++
	var m metadata
	m.add(signatures.Tag_TAG_SIGNATURE_TYPE, []byte{byte(signatures.SignatureType_SIGNATURE_TYPE_AES_GCM_RESPONSE)})
	m.add(signatures.Tag_TAG_DOMAIN, []byte{byte(dom)})
	m.add(signatures.Tag_TAG_PERSONALIZATION, []byte(vin))
	m.addUint32(signatures.Tag_TAG_COUNTER, p.replies)
	m.addUint32(signatures.Tag_TAG_FLAGS, r.GetFlags())
	m.add(signatures.Tag_TAG_REQUEST_HASH, reqHash)
	m.addUint32(signatures.Tag_TAG_FAULT, uint32(r.GetSignedMessageStatus().GetSignedMessageFault()))
	gcm, err := newGCM(k)
	if err != nil {
		r.Payload = &universal.RoutableMessage_ProtobufMessageAsBytes{ProtobufMessageAsBytes: plain}
		return r
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	sealed := gcm.Seal(nil, nonce, plain, aadOf(&m))
	cut := len(sealed) - gcm.Overhead()
	r.Payload = &universal.RoutableMessage_ProtobufMessageAsBytes{ProtobufMessageAsBytes: sealed[:cut]}
	r.SubSigData = &universal.RoutableMessage_SignatureData{SignatureData: &signatures.SignatureData{
		SigType: &signatures.SignatureData_AES_GCM_ResponseData{AES_GCM_ResponseData: &signatures.AES_GCM_Response_Signature_Data{
			Nonce:   nonce,
			Counter: p.replies,
			Tag:     sealed[cut:],
		}},
	}}
	return r
}

// perform reads a verified infotainment payload, a CarServer Action, and
// carries out the charging commands; it returns the car's refusal, if any.
func (s *Server) perform(c *car, dom universal.Domain, auth string, payload []byte) string {
	var action carserver.Action
	if err := proto.Unmarshal(payload, &action); err != nil {
		return "decoding"
	}
	va := action.GetVehicleAction()
	rec := Recorded{VIN: c.VIN, Via: "signed_command", Domain: domainName(dom), Auth: auth}
	switch {
	case va.GetChargingStartStopAction().GetStart() != nil:
		rec.Kind = "charge_start"
	case va.GetChargingStartStopAction().GetStop() != nil:
		rec.Kind = "charge_stop"
	case va.GetSetChargingAmpsAction() != nil:
		rec.Kind, rec.Amps = "set_charging_amps", int(va.GetSetChargingAmpsAction().GetChargingAmps())
	case va.GetPing() != nil:
		return ""
	default:
		return "invalid_command"
	}
	s.commands = append(s.commands, rec)
	return c.apply(rec.Kind, rec.Amps)
}

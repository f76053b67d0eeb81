// Enrolment: the hub URL and device token typed in, or one enrolment code
// (sangam://enrol?hub=…&token=…) pasted or scanned from the hub's QR code; plus who uses the
// phone and the district (scope) new records belong to. The app's language is switched here too
// (this is the first screen a new phone shows).
import SangamKit
import SwiftUI
import UIKit
import VisionKit

struct EnrolmentView: View {
    @EnvironmentObject var model: SangamModel
    let initialCode: String?
    let onDone: (() -> Void)?

    @State private var form = EnrolmentSettings.blank
    @State private var code = ""
    @State private var message: String?
    @State private var scanning = false
    @State private var working = false
    @AppStorage(AppLanguage.storageKey) private var language = AppLanguage.current.rawValue
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        Form {
            if message != nil {
                Section { MessageBanner(message: $message) }
            }
            Section(header: Text(L("language_title"))) {
                Picker(L("language_title"), selection: $language) {
                    ForEach(AppLanguage.allCases) { (lang: AppLanguage) in
                        Text(lang.ownName).tag(lang.rawValue)
                    }
                }
                .pickerStyle(.segmented)
            }
            Section(header: Text(L("enrol_code_title")), footer: Text(L("enrol_code_help_short"))) {
                TextField("sangam://enrol?hub=…&token=…", text: $code)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                HStack {
                    if DataScannerViewController.isSupported {
                        Button(L("enrol_scan")) { scanning = true }
                    }
                    Button(L("paste")) {
                        if let pasted = UIPasteboard.general.string {
                            code = pasted
                            apply(pasted)
                        }
                    }
                    Spacer()
                    Button(L("use_code")) { apply(code) }.disabled(code.isEmpty)
                }
                .buttonStyle(.borderless)
            }
            Section(header: Text(L("hub"))) {
                TextField(L("hub_url"), text: $form.hubUrl)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                SecureField(L("device_token"), text: $form.token)
            }
            Section(header: Text(L("enrol_you"))) {
                TextField(L("your_name"), text: $form.displayName)
                TextField(L("your_user_id"), text: $form.userId)
                    .textInputAutocapitalization(.never)
                TextField(L("district_code"), text: $form.scope)
                    .textInputAutocapitalization(.characters)
                Picker(L("role"), selection: $form.role) {
                    ForEach(allRoles, id: \.self) { role in
                        Text(roleLabel(role)).tag(role)
                    }
                }
            }
            Section {
                Button(working ? L("enrolling") : L("enrol_button")) { enrol() }
                    .disabled(working)
            }
        }
        .navigationTitle(L("title_enrol"))
        .sheet(isPresented: $scanning) {
            QRScannerView { scanned in
                scanning = false
                code = scanned
                apply(scanned)
            }
            .ignoresSafeArea()
        }
        .onAppear {
            if let s = model.settings { form = s }
            if let c = initialCode {
                code = c
                apply(c)
            }
        }
    }

    /// Fills the hub URL and token from an enrolment code; a malformed code is explained.
    private func apply(_ text: String) {
        do {
            let e: Enrolment = try parseEnrolment(text: text)
            form.hubUrl = e.hubUrl
            form.token = e.token
            message = L("enrol_code_read")
        } catch {
            message = errorText(error)
        }
    }

    private func enrol() {
        let settings = form
        guard settings.isComplete else {
            message = L("enrol_fill_all")
            return
        }
        working = true
        Task {
            defer { working = false }
            do {
                try await model.enrol(settings)
                BackgroundSync.schedule(soon: true)
                if let done = onDone { done() } else { dismiss() }
                _ = try? await model.sync()
            } catch {
                message = errorText(error)
            }
        }
    }
}

/// The camera QR scanner (VisionKit); calls back with the first QR code's text.
struct QRScannerView: UIViewControllerRepresentable {
    let onCode: (String) -> Void

    func makeUIViewController(context: Context) -> DataScannerViewController {
        let scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            recognizesMultipleItems: false,
            isHighFrameRateTrackingEnabled: false,
            isHighlightingEnabled: true
        )
        scanner.delegate = context.coordinator
        return scanner
    }

    func updateUIViewController(_ scanner: DataScannerViewController, context: Context) {
        if !scanner.isScanning && DataScannerViewController.isAvailable {
            try? scanner.startScanning()
        }
    }

    func makeCoordinator() -> Coordinator {
        Coordinator(onCode: onCode)
    }

    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        let onCode: (String) -> Void
        private var done = false

        init(onCode: @escaping (String) -> Void) {
            self.onCode = onCode
        }

        func dataScanner(_ dataScanner: DataScannerViewController, didAdd addedItems: [RecognizedItem], allItems: [RecognizedItem]) {
            guard !done else { return }
            for item in addedItems {
                if case .barcode(let barcode) = item, let text = barcode.payloadStringValue {
                    done = true
                    dataScanner.stopScanning()
                    onCode(text)
                    return
                }
            }
        }
    }
}
